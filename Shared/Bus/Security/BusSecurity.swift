import CZMQ
import Foundation
import Logging
import Synchronization

/// The process-wide rule for `tcp://` sockets: CURVE with the deployment's keys, or a refusal to start.
///
/// `ipc://` and `inproc://` stay unauthenticated (the run dir is 0700). On `tcp://` a bound socket (ROUTER, XPUB, PULL)
/// is a CURVE server with its service's secret key and a ZAP handler that admits only the client keys under
/// `clients/*.pub`; a connecting socket (DEALER, SUB, PUSH) uses its process kind's pair and the server's public key.
/// Without a keys directory a `tcp://` socket is refused unless `SWITCHBOARD_BUS_INSECURE=1`.
///
/// Read from the environment once (`shared`), because every socket of the process must follow the same rule:
/// - `SWITCHBOARD_BUS_KEYS_DIR` (default `<SWITCHBOARD_RUN_DIR>/keys`),
/// - `SWITCHBOARD_BUS_KIND` (default the executable's name) picks `servers/<kind>.key` and `clients/<kind>.key`,
/// - `SWITCHBOARD_BUS_CLIENT_KEY` a client pair file used instead of `clients/<kind>.key`,
/// - `SWITCHBOARD_BUS_INSECURE=1` allows `tcp://` without CURVE (warned about every minute by `BusSecurityService`).
public final class BusSecurity: Sendable {
    public static let shared = BusSecurity(environment: ProcessInfo.processInfo.environment)

    public let keys: BusKeyDirectory
    public let kind: String
    public let insecureAllowed: Bool
    private let clientKeyOverride: String?
    private let logger = Logger(label: "bus.security")
    private let state = Mutex(State())

    private struct State {
        var zap: ZAPHandler?
        var insecureEndpoints: [String] = []
    }

    public init(environment: [String: String]) {
        let runDir = environment["SWITCHBOARD_RUN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? ".run"
        let keysDir = environment["SWITCHBOARD_BUS_KEYS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(runDir)/keys"
        keys = BusKeyDirectory(path: URL(fileURLWithPath: keysDir).standardizedFileURL.path)
        kind = environment["SWITCHBOARD_BUS_KIND"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.processName
        clientKeyOverride = environment["SWITCHBOARD_BUS_CLIENT_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        insecureAllowed = ["1", "true", "yes", "on"].contains(environment["SWITCHBOARD_BUS_INSECURE"]?.lowercased() ?? "")
    }

    /// The `tcp://` endpoints this process uses without CURVE (only with `SWITCHBOARD_BUS_INSECURE=1`).
    public var insecureEndpoints: [String] { state.withLock { $0.insecureEndpoints } }

    /// Stops the ZAP handler's thread (at shutdown, after the sockets it vets are closed).
    public func stop() {
        let zap = state.withLock { box in
            defer { box.zap = nil }
            return box.zap
        }
        zap?.stop()
    }

    /// Makes `socket` a CURVE server before it binds `endpoint` (a no-op off `tcp://`).
    func secureServer(_ socket: ZMQSocket, endpoint: String) throws(BusError) {
        guard endpoint.hasPrefix("tcp://") else { return }
        guard keys.exists else { return try allowInsecure(endpoint) }
        let pair = try BusKeyPair.read(keys.serverKeyPath(kind))
        guard let secret = pair.secretBytes else { throw BusError.keys("\(keys.serverKeyPath(kind)) has no secret= line") }
        try startZAP()
        socket.setOption(ZMQ_CURVE_SERVER, 1)
        socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: secret)
        socket.setOption(ZMQ_ZAP_DOMAIN, bytes: Array("switchboard".utf8))
    }

    /// Gives `socket` this process's client pair and the public key of `server` before it connects (a no-op off `tcp://`).
    func secureClient(_ socket: ZMQSocket, endpoint: String, server: String?) throws(BusError) {
        guard endpoint.hasPrefix("tcp://") else { return }
        guard keys.exists || clientKeyOverride != nil else { return try allowInsecure(endpoint) }
        guard let server else { throw BusError.keys("\(endpoint): no server named for its CURVE public key") }
        let serverKey = try BusKeyPair.read(keys.serverPublicPath(server))
        let clientPath = clientKeyOverride ?? keys.clientKeyPath(kind)
        let client = try BusKeyPair.read(clientPath)
        guard let secret = client.secretBytes else { throw BusError.keys("\(clientPath) has no secret= line") }
        socket.setOption(ZMQ_CURVE_SERVERKEY, bytes: serverKey.publicBytes)
        socket.setOption(ZMQ_CURVE_PUBLICKEY, bytes: client.publicBytes)
        socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: secret)
    }

    private func allowInsecure(_ endpoint: String) throws(BusError) {
        guard insecureAllowed else {
            throw BusError.keys(
                "\(endpoint) is tcp:// but there are no CURVE keys in \(keys.path): run `switchboard keys` "
                    + "(or set SWITCHBOARD_BUS_KEYS_DIR), or set SWITCHBOARD_BUS_INSECURE=1 to run the bus unauthenticated"
            )
        }
        logger.warning("bus: \(endpoint) runs WITHOUT authentication (SWITCHBOARD_BUS_INSECURE=1): any peer that reaches it is trusted")
        state.withLock { $0.insecureEndpoints.append(endpoint) }
    }

    /// Binds the ZAP socket once, before the first CURVE server socket exists: without a handler libzmq admits every key.
    private func startZAP() throws(BusError) {
        guard BusKeyPair.isSupported else { throw BusError.keys("libzmq here is built without CURVE (zmq_has(\"curve\") is false)") }
        try state.withLock { (box: inout State) throws(BusError) in
            if box.zap == nil { box.zap = try ZAPHandler(keys: keys, logger: logger) }
        }
    }
}
