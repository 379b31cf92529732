import ArgumentParser
import Bus
import Foundation
import ServiceKit
import SwitchboardProtocol

/// `switchboard keys`: the CURVE keys that authenticate the bus on `tcp://`.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the bus's CURVE keys (a server pair per service, a client pair per process kind).",
        discussion: """
            Writes missing pairs under SWITCHBOARD_BUS_KEYS_DIR (default <run dir>/keys): servers/<service>.key|.pub and \
            clients/<kind>.key|.pub, files 0600 in directories 0700; existing keys are kept. A server admits exactly the \
            clients whose .pub is in its clients/ directory. --pair FILE writes one new pair to FILE only (e.g. a key no \
            server knows, for SWITCHBOARD_BUS_CLIENT_KEY).
            """
    )

    @Option(help: "The keys directory (default SWITCHBOARD_BUS_KEYS_DIR, else <run dir>/keys).")
    var dir: String?

    @Option(help: "Write one fresh pair to this file and nothing else.")
    var pair: String?

    func run() async throws {
        guard BusKeyPair.isSupported else { throw ValidationError("libzmq here is built without CURVE (zmq_has(\"curve\") is false)") }
        if let pair {
            try BusKeyPair.generate().write(to: pair)
            print("wrote \(pair)")
            return
        }
        let keys = BusKeyDirectory(path: dir ?? BusSecurity.shared.keys.path)
        let written = try keys.generateMissing()
        print(written.isEmpty ? "keys: all present in \(keys.path)" : "keys: wrote \(written.count) files under \(keys.path)")
    }

    /// For `switchboard up`: creates the keys when any endpoint is `tcp://` and none exist yet.
    static func ensureForTCP(_ config: SwitchboardConfig) throws -> String? {
        let endpoints = ServiceName.allCases.map { config.endpoint(for: $0) } + [config.eventsEndpoint, config.ingestEndpoint]
        let keys = BusSecurity.shared.keys
        guard endpoints.contains(where: { $0.hasPrefix("tcp://") }), !keys.exists, !BusSecurity.shared.insecureAllowed else { return nil }
        try keys.generateMissing()
        return keys.path
    }
}
