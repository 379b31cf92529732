import Foundation
import NIOCore
import SwitchboardProtocol

/// The two message types the edge answers itself, since they are about the socket, not about any service:
/// `ping` → `pong` with the server time (and the latency when the client sent its own time in ms as `data.timestamp`),
/// and `heartbeat` → `heartbeat_ack`.
///
/// A `data` that is not an object, or a timestamp that is not Unix milliseconds within ECMAScript's Date range, is
/// answered with `INVALID_MESSAGE` naming the field (never converted: `1e300` as an integer would trap).
enum EdgeAnswers {
    private struct Pong: Encodable {
        let serverTime: Int64
        let latency: Int64

        enum CodingKeys: String, CodingKey {
            case serverTime = "server_time"
            case latency
        }
    }

    private struct HeartbeatAck: Encodable {
        let serverTime: Int64
        enum CodingKeys: String, CodingKey { case serverTime = "server_time" }
    }

    static func answer(_ message: ClientMessage) throws(ProtocolFailure) -> ByteBuffer {
        switch message.type {
        case PingRequest.messageType:
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            let latency = try message.decodeData(PingRequest.self, empty: PingRequest.whenAbsent).get().latency(nowMs: nowMs).get()
            return EdgeFrame.make(
                "pong", id: "\(message.id ?? ServerFrame.uniqueID("ping"))_pong", data: Pong(serverTime: nowMs / 1000, latency: latency))
        case HeartbeatRequest.messageType:
            _ = try message.decodeData(HeartbeatRequest.self, empty: HeartbeatRequest.whenAbsent).get()
            return EdgeFrame.make(
                "heartbeat_ack", id: "\(message.id ?? ServerFrame.uniqueID("hb"))_ack", data: HeartbeatAck(serverTime: ServerFrame.now))
        default:
            throw ProtocolFailure(code: .unknownType, message: "unknown message type `\(message.type.prefix(64))`", requestID: message.id)
        }
    }
}
