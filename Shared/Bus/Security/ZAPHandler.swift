import CZMQ
import Logging
import Metrics

/// ZeroMQ's authentication hook for this process: answers the ZAP requests of every CURVE server socket, admitting only
/// the client public keys listed under `clients/*.pub` and logging each refusal.
///
/// One REP socket on `inproc://zeromq.zap.01`, on its own poll thread like every other socket. The allow list is read
/// again on each handshake (handshakes are rare), so adding a kind's `.pub` file needs no restart.
final class ZAPHandler: Sendable {
    static let endpoint = "inproc://zeromq.zap.01"
    private let loop: PollLoop<Never>

    init(keys: BusKeyDirectory, logger: Logger) throws(BusError) {
        loop = PollLoop(name: "zap")
        loop.start(try ZAPDriver(keys: keys, logger: logger))
    }

    func stop() { loop.stop() }
}

/// The REP socket, confined to the ZAP poll thread (`@unchecked Sendable`: handed over once at start).
final class ZAPDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket]
    private let rep: ZMQSocket
    private let keys: BusKeyDirectory
    private let logger: Logger

    init(keys: BusKeyDirectory, logger: Logger) throws(BusError) {
        rep = try ZMQSocket(kind: ZMQ_REP)
        if zmq_bind(rep.handle, Self.endpoint) != 0 {
            let reason = zmqErrorText()
            rep.close()
            throw BusError.bind(endpoint: Self.endpoint, reason: reason)
        }
        self.keys = keys
        self.logger = logger
        sockets = [rep]
    }

    private static var endpoint: String { ZAPHandler.endpoint }

    func handle(_ command: Never) {}

    func readable(socketIndex: Int) {
        while let frames = rep.receive() {
            _ = rep.send(Self.answer(frames, allowed: keys.allowedClients(), keysPath: keys.path, logger: logger))
        }
    }

    /// ZAP/1.0 (RFC 27): version, request id, domain, address, routing id, mechanism, credentials → version, request id,
    /// status, text, user id, metadata. `allowed` maps Z85 client keys to their kind.
    static func answer(_ frames: [[UInt8]], allowed: [String: String], keysPath: String, logger: Logger) -> [[UInt8]] {
        guard frames.count >= 6 else {
            return [Array("1.0".utf8), frames.count > 1 ? frames[1] : [], Array("500".utf8), Array("malformed ZAP request".utf8), [], []]
        }
        let requestID = frames[1]
        let address = String(decoding: frames[3], as: UTF8.self)
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        func reply(_ status: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        guard mechanism == "CURVE" else {
            Counter(label: "switchboard_bus_auth_denied_total", dimensions: [("reason", "mechanism")]).increment()
            logger.warning("bus: refused a \(mechanism) connection from \(address): only CURVE is accepted on tcp://")
            return reply("400", "CURVE required")
        }
        guard frames.count >= 7, let key = BusKeyPair.encode(frames[6]) else {
            Counter(label: "switchboard_bus_auth_denied_total", dimensions: [("reason", "malformed")]).increment()
            logger.warning("bus: refused a CURVE connection from \(address) without a well-formed client key")
            return reply("400", "malformed client key")
        }
        guard let kind = allowed[key] else {
            Counter(label: "switchboard_bus_auth_denied_total", dimensions: [("reason", "unknown_key")]).increment()
            logger.warning("bus: refused unknown CURVE client key \(key) from \(address) (not under \(keysPath)/clients/*.pub)")
            return reply("400", "unknown client key")
        }
        logger.debug("bus: admitted \(kind) from \(address)")
        return reply("200", "OK", user: kind)
    }

    func pollTimeout() -> Int { -1 }
    func tick() {}
    func close() { rep.close() }
}
