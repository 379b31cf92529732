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

    /// Stores and publishes one alarm given as a JSON object; returns its id.
    @discardableResult
    func record(_ object: [String: Any]) async throws -> String {
        var alarm = object
        let id = (alarm["id"] as? String) ?? (alarm["id"] as? Int).map(String.init) ?? "alarm_\(UUID().uuidString.prefix(12).lowercased())"
        alarm["id"] = id
        if alarm["timestamp"] == nil { alarm["timestamp"] = Int(Date().timeIntervalSince1970) }
        let json = try JSONSerialization.data(withJSONObject: alarm, options: [.sortedKeys, .withoutEscapingSlashes])
        let text = String(decoding: json, as: UTF8.self)
        _ = try await redis.pipeline([
            ["SET", "alarm:\(id)", text, "EX", String(7 * 24 * 3600)],
            ["LPUSH", Self.recentKey, text],
            ["LTRIM", Self.recentKey, "0", String(Self.recentLimit - 1)],
        ])
        let bytes = ServerFrame.envelope("alarm", id: "alarm_\(id)", dataJSON: Array(json))
        publisher.publish(topic: "alarm/*", payload: bytes)
        if let channel = Self.channel(of: alarm) { publisher.publish(topic: "alarm/\(channel)", payload: bytes) }
        return id
    }

    func recent(limit: Int) async throws -> [String] {
        let reply = try await redis.send(["LRANGE", Self.recentKey, "0", String(max(0, limit - 1))])
        return reply.array?.compactMap(\.text) ?? []
    }

    static func channel(of alarm: [String: Any]) -> Int? {
        for key in ["channel_id", "channel"] {
            if let value = alarm[key] as? Int { return value }
            if let text = alarm[key] as? String, let value = Int(text) { return value }
        }
        return nil
    }
}
