import OpenSSLCrypto
import ServiceKit

/// The signer's configuration from `SWITCHBOARD_SIGNER_*`, checked once at start.
///
/// In production it refuses the well-known default AES key (DESIGN.md §8): every copy of the old bridge shipped with
/// it, so a production bridge using it encrypts for anybody. The check is on the folded key the cipher really uses, so a
/// longer key that folds to the same bytes is refused too.
struct SignerSettings: Sendable {
    static let defaultAESKey = "1234567887654321"
    static let defaultUpstream = "ws://127.0.0.1:61232/"

    var aesKey: [UInt8]
    var upstreamURL: String
    var poolSize: Int
    var multiplex: Bool
    var multiplexInFlight: Int
    /// `SWITCHBOARD_SIGNER_BLOCK_FRAMES` (off): send requests over the SDK's 120 KB limit in `BLOCKTXT` blocks, for an
    /// e-port client that expects them (see `EPortBlocks`); off sends every request as one frame.
    var blockFrames: Bool
    var queueLimit: Int
    var timeoutMilliseconds: Int
    var probeSeconds: Double
    var maxFieldBytes: Int
    var usesDefaultKey: Bool
    /// `SWITCHBOARD_GETCODE_RATE_PER_SECOND` (20; 0 turns it off) and `SWITCHBOARD_GETCODE_BURST` (100): `/getCode`
    /// requests per client IP.
    var getCodeRatePerSecond: Double
    var getCodeBurst: Double

    var timeout: Duration { .milliseconds(timeoutMilliseconds) }

    /// Why a key is unfit for production, judged on the folded 16 bytes the cipher really uses: a long key that folds to
    /// the well-known default is the default, one that folds to zeros (a key repeated twice) is no key at all, and a
    /// key shorter than 16 bytes leaves folded bytes at zero.
    static func weakness(ofKey key: String, folded: [UInt8]) -> String? {
        if folded == AES.mysqlFoldedKey(defaultAESKey) {
            return "is unset or folds to the well-known default \(defaultAESKey)"
        }
        if folded.allSatisfy({ $0 == 0 }) { return "folds to sixteen zero bytes" }
        if key.utf8.count < 16 { return "is shorter than 16 bytes" }
        return nil
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(config: SwitchboardConfig) throws(Invalid) {
        let key = config.string("SWITCHBOARD_SIGNER_AES_KEY", default: Self.defaultAESKey)
        aesKey = AES.mysqlFoldedKey(key)
        usesDefaultKey = aesKey == AES.mysqlFoldedKey(Self.defaultAESKey)
        if config.isProduction, let weakness = Self.weakness(ofKey: key, folded: aesKey) {
            throw Invalid(description: "SWITCHBOARD_SIGNER_AES_KEY \(weakness); production needs a random key of its own of at least 16 characters")
        }
        upstreamURL = config.string("SWITCHBOARD_SIGNER_UPSTREAM", default: Self.defaultUpstream)
        guard upstreamURL.hasPrefix("ws://") || upstreamURL.hasPrefix("wss://") else {
            throw Invalid(description: "SWITCHBOARD_SIGNER_UPSTREAM must be a ws:// or wss:// URL, not \(upstreamURL)")
        }
        poolSize = config.int("SWITCHBOARD_SIGNER_POOL_SIZE", default: 4)
        multiplex = config.bool("SWITCHBOARD_SIGNER_MULTIPLEX", default: false)
        multiplexInFlight = config.int("SWITCHBOARD_SIGNER_MULTIPLEX_INFLIGHT", default: 32)
        blockFrames = config.bool("SWITCHBOARD_SIGNER_BLOCK_FRAMES", default: false)
        queueLimit = config.int("SWITCHBOARD_SIGNER_QUEUE_LIMIT", default: 256)
        timeoutMilliseconds = config.int("SWITCHBOARD_SIGNER_TIMEOUT_MS", default: 30_000)
        probeSeconds = config.double("SWITCHBOARD_SIGNER_PROBE_SECONDS", default: 30)
        maxFieldBytes = config.int("SWITCHBOARD_SIGNER_MAX_FIELD_BYTES", default: 1 << 20)
        getCodeRatePerSecond = config.double("SWITCHBOARD_GETCODE_RATE_PER_SECOND", default: 20)
        getCodeBurst = config.double("SWITCHBOARD_GETCODE_BURST", default: 100)
        guard getCodeRatePerSecond >= 0, getCodeRatePerSecond.isFinite, getCodeBurst >= 1, getCodeBurst.isFinite else {
            throw Invalid(
                description: "SWITCHBOARD_GETCODE_RATE_PER_SECOND must be 0 (off) or more and SWITCHBOARD_GETCODE_BURST at least 1, "
                    + "not \(getCodeRatePerSecond) and \(getCodeBurst)"
            )
        }
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
