import Bus
import Foundation
import Redis
import SwitchboardProtocol

/// Alarms from Redis pub/sub `alarm:events` or `POST /api/v1/broadcast`: kept in Redis (`alarm:{id}`, `alarms:recent`)
/// and published as `alarm` frames on `alarm/*` and `alarm/<channel>`.
struct AlarmStore: Sendable {
    let redis: RedisClient
    let publisher: EventPublisher
    static let recentKey = "alarms:recent"
    static let recentLimit = 1000

    /// One alarm ready to store and publish: its `data` exactly as it will reach clients.
    struct Alarm: Sendable {
        let id: String
        let dataJSON: [UInt8]
        let channel: Int?
        /// The frame's `id`: the sender's (alarmsrv's `alarm_007`), or `alarm_<id>`.
        let frameID: String
        var timestamp: Int64 = ServerFrame.now
    }

    /// Stores and publishes one alarm given as a JSON object (Redis pub/sub), with an `id` and `timestamp` added when it
    /// has none; returns its id.
    @discardableResult
    func record(_ object: [String: Any]) async throws -> String {
        var alarm = object
        let id = Self.id(of: alarm) ?? "alarm_\(UUID().uuidString.prefix(12).lowercased())"
        alarm["id"] = alarm["id"] ?? id
        if alarm["timestamp"] == nil { alarm["timestamp"] = Int(Date().timeIntervalSince1970) }
        let json = try JSONSerialization.data(withJSONObject: alarm, options: [.sortedKeys, .withoutEscapingSlashes])
        try await record(Alarm(id: id, dataJSON: Array(json), channel: Self.channel(of: alarm), frameID: "alarm_\(id)"))
        return id
    }

    /// Stores and publishes an alarm whose `data` is forwarded byte for byte (alarmsrv's broadcast).
    func record(_ alarm: Alarm) async throws {
        let text = String(decoding: alarm.dataJSON, as: UTF8.self)
        _ = try await redis.pipeline([
            ["SET", "alarm:\(alarm.id)", text, "EX", String(7 * 24 * 3600)],
            ["LPUSH", Self.recentKey, text],
            ["LTRIM", Self.recentKey, "0", String(Self.recentLimit - 1)],
        ])
        let bytes = ServerFrame.envelope("alarm", id: alarm.frameID, timestamp: alarm.timestamp, dataJSON: alarm.dataJSON)
        publisher.publish(topic: AlarmTopics.all, payload: bytes)
        if let channel = alarm.channel { publisher.publish(topic: AlarmTopics.channel(channel), payload: bytes) }
    }

    func recent(limit: Int) async throws -> [String] {
        let reply = try await redis.send(["LRANGE", Self.recentKey, "0", String(max(0, limit - 1))])
        return reply.array?.compactMap(\.text) ?? []
    }

    /// `id`, or alarmsrv's `alarm_id`: a string or an integer of at most 128 letters, digits, `_`, `-`, `.` or `:`.
    static func id(of alarm: [String: Any]) -> String? {
        for key in ["id", "alarm_id"] {
            let text = (alarm[key] as? String) ?? (alarm[key] as? Int).map(String.init)
            if let text, isValidID(text) { return text }
        }
        return nil
    }

    static func isValidID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == ":") }
    }

    static func channel(of alarm: [String: Any]) -> Int? {
        for key in ["channel_id", "channel"] {
            if let value = alarm[key] as? Int, value > 0 { return value }
            if let text = alarm[key] as? String, let value = Int(text), value > 0 { return value }
        }
        return nil
    }
}
