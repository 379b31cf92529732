import Foundation

/// `ping` → `pong` with the server time, and the latency when the client sent its own time (ms) as `data.timestamp`.
struct PingHandler: MessageHandler {
    let type = "ping"
    let endpoints: Set<EndpointKind> = [.main, .permissions]

    private struct Payload: Decodable {
        let timestamp: Double?
    }

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
        // `data` is optional for ping; a malformed one is ignored rather than refused.
        let sent = (try? message.decodeData(Payload.self, empty: Payload(timestamp: nil)).get())?.timestamp
        let latency = sent.map { max(0, nowMs - Int64($0)) } ?? 0
        let id = "\(message.id ?? ServerFrame.uniqueID("ping"))_pong"
        connection.send(ServerFrame.make("pong", id: id, data: Pong(serverTime: nowMs / 1000, latency: latency)))
    }
}

/// `heartbeat` → `heartbeat_ack` on the permissions endpoint (the seed's keep-alive).
struct HeartbeatHandler: MessageHandler {
    let type = "heartbeat"
    let endpoints: Set<EndpointKind> = [.permissions, .main]

    private struct Ack: Encodable {
        let serverTime: Int64
        enum CodingKeys: String, CodingKey { case serverTime = "server_time" }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let id = "\(message.id ?? ServerFrame.uniqueID("hb"))_ack"
        connection.send(ServerFrame.make("heartbeat_ack", id: id, data: Ack(serverTime: ServerFrame.now)))
    }
}
