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
    /// `{"latency":…,"server_time":…}`: the hot path's data, written directly (sorted keys, as `ServerFrame`'s encoder).
    static func pongData(serverTime: Int64, latency: Int64) -> [UInt8] {
        var writer = JSONWriter(capacity: 48)
        writer.raw(#"{"latency":"#)
        writer.integer(Int(latency))
        writer.raw(#","server_time":"#)
        writer.integer(Int(serverTime))
        writer.raw("}")
        return writer.bytes
    }

    static func heartbeatAckData(serverTime: Int64) -> [UInt8] {
        var writer = JSONWriter(capacity: 32)
        writer.raw(#"{"server_time":"#)
        writer.integer(Int(serverTime))
        writer.raw("}")
        return writer.bytes
    }

    static func answer(_ message: ClientMessage) throws(ProtocolFailure) -> ByteBuffer {
        switch message.type {
        case PingRequest.messageType:
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            let latency = try message.decodeData(PingRequest.self, empty: PingRequest.whenAbsent).get().latency(nowMs: nowMs).get()
            return ByteBuffer(
                bytes: ServerFrame.envelope(
                    "pong", id: "\(message.id ?? ServerFrame.uniqueID("ping"))_pong", timestamp: nowMs / 1000,
                    dataJSON: pongData(serverTime: nowMs / 1000, latency: latency)))
        case HeartbeatRequest.messageType:
            _ = try message.decodeData(HeartbeatRequest.self, empty: HeartbeatRequest.whenAbsent).get()
            let now = ServerFrame.now
            return ByteBuffer(
                bytes: ServerFrame.envelope(
                    "heartbeat_ack", id: "\(message.id ?? ServerFrame.uniqueID("hb"))_ack", timestamp: now,
                    dataJSON: heartbeatAckData(serverTime: now)))
        default:
            throw ProtocolFailure(code: .unknownType, message: "unknown message type `\(message.type.prefix(64))`", requestID: message.id)
        }
    }
}
