import Foundation

/// `ping` → `pong` with the server time, and the latency when the client sent its own time (ms) as `data.timestamp`.
///
/// A `data` that is not an object, or a timestamp that is not Unix milliseconds within ECMAScript's Date range, is
/// answered with `INVALID_MESSAGE` naming the field (never converted: `1e300` as an integer would trap).
struct PingHandler: MessageHandler {
    typealias Payload = PingRequest
    let endpoints: Set<EndpointKind> = [.main, .permissions]
    let replies: Set<String> = ["pong"]

    private struct Pong: Encodable {
        let serverTime: Int64
        let latency: Int64

        enum CodingKeys: String, CodingKey {
            case serverTime = "server_time"
            case latency
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let latency = try payload(of: message).get().latency(nowMs: nowMs).get()
        let id = "\(message.id ?? ServerFrame.uniqueID("ping"))_pong"
        connection.send(ServerFrame.make("pong", id: id, data: Pong(serverTime: nowMs / 1000, latency: latency)))
    }
}

/// `heartbeat` → `heartbeat_ack` on the permissions endpoint (the seed's keep-alive).
struct HeartbeatHandler: MessageHandler {
    typealias Payload = HeartbeatRequest
    let endpoints: Set<EndpointKind> = [.permissions, .main]
    let replies: Set<String> = ["heartbeat_ack"]

    private struct Ack: Encodable {
        let serverTime: Int64
        enum CodingKeys: String, CodingKey { case serverTime = "server_time" }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        _ = try payload(of: message).get()
        let id = "\(message.id ?? ServerFrame.uniqueID("hb"))_ack"
        connection.send(ServerFrame.make("heartbeat_ack", id: id, data: Ack(serverTime: ServerFrame.now)))
    }
}
