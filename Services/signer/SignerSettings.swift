import OpenSSLCrypto
import ServiceKit

/// The signer's configuration from `SWITCHBOARD_SIGNER_*`, checked once at start.
///
/// It refuses the well-known default AES key in production (DESIGN.md §8): every copy of the old bridge shipped with
/// it, so a production bridge using it encrypts for anybody.
struct SignerSettings: Sendable {
    static let defaultAESKey = "1234567887654321"
    static let defaultUpstream = "ws://127.0.0.1:61232/"

    var aesKey: [UInt8]
    var upstreamURL: String
    var poolSize: Int
    var multiplex: Bool
    var multiplexInFlight: Int
    var queueLimit: Int
    var timeoutMilliseconds: Int
    var probeSeconds: Double
    var maxFieldBytes: Int
    var usesDefaultKey: Bool

    var timeout: Duration { .milliseconds(timeoutMilliseconds) }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(config: SwitchboardConfig) throws(Invalid) {
        let key = config.string("SWITCHBOARD_SIGNER_AES_KEY", default: Self.defaultAESKey)
        usesDefaultKey = key == Self.defaultAESKey
        if usesDefaultKey && config.isProduction {
            throw Invalid(
                description: "SWITCHBOARD_SIGNER_AES_KEY is unset or the well-known default \(Self.defaultAESKey); "
                    + "production needs a key of its own (set SWITCHBOARD_SIGNER_AES_KEY)"
            )
        }
        aesKey = AES.mysqlFoldedKey(key)
        upstreamURL = config.string("SWITCHBOARD_SIGNER_UPSTREAM", default: Self.defaultUpstream)
        guard upstreamURL.hasPrefix("ws://") || upstreamURL.hasPrefix("wss://") else {
            throw Invalid(description: "SWITCHBOARD_SIGNER_UPSTREAM must be a ws:// or wss:// URL, not \(upstreamURL)")
        }
        poolSize = config.int("SWITCHBOARD_SIGNER_POOL_SIZE", default: 4)
        multiplex = config.bool("SWITCHBOARD_SIGNER_MULTIPLEX", default: false)
        multiplexInFlight = config.int("SWITCHBOARD_SIGNER_MULTIPLEX_INFLIGHT", default: 32)
        queueLimit = config.int("SWITCHBOARD_SIGNER_QUEUE_LIMIT", default: 256)
        timeoutMilliseconds = config.int("SWITCHBOARD_SIGNER_TIMEOUT_MS", default: 30_000)
        probeSeconds = config.double("SWITCHBOARD_SIGNER_PROBE_SECONDS", default: 30)
        maxFieldBytes = config.int("SWITCHBOARD_SIGNER_MAX_FIELD_BYTES", default: 1 << 20)
        for (name, value, minimum) in [
            ("SWITCHBOARD_SIGNER_POOL_SIZE", poolSize, 1),
            ("SWITCHBOARD_SIGNER_MULTIPLEX_INFLIGHT", multiplexInFlight, 1),
            ("SWITCHBOARD_SIGNER_QUEUE_LIMIT", queueLimit, 0),
            ("SWITCHBOARD_SIGNER_TIMEOUT_MS", timeoutMilliseconds, 1),
            ("SWITCHBOARD_SIGNER_MAX_FIELD_BYTES", maxFieldBytes, 1),
        ] where value < minimum {
            throw Invalid(description: "\(name) must be at least \(minimum), not \(value)")
        }
    }
}
