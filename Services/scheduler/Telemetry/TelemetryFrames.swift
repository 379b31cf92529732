import Foundation
import Redis
import SwitchboardProtocol

/// Builds the VoltageEMS `data_batch` frame of a group from Redis hash replies.
///
/// Each key's `values` object is rendered once per tick and shared by every group that includes the key.
enum TelemetryFrames {
    /// `{"1":25.6,"2":"on"}` from an HGETALL reply: numeric text stays a number, anything else becomes a string, fields
    /// starting with `_` are skipped, points are ordered numerically (then by name). Nil for a missing or empty hash.
    static func renderValues(_ reply: RedisValue) -> [UInt8]? {
        guard let items = reply.array, items.count >= 2 else { return nil }
        var pairs: [(field: [UInt8], value: [UInt8])] = []
        pairs.reserveCapacity(items.count / 2)
        var index = 0
        while index + 1 < items.count {
            if case .string(let field) = items[index], case .string(let value) = items[index + 1], field.first != UInt8(ascii: "_") {
                pairs.append((field, value))
            }
            index += 2
        }
        guard !pairs.isEmpty else { return nil }
        pairs.sort { lhs, rhs in
            let left = Int(String(decoding: lhs.field, as: UTF8.self))
            let right = Int(String(decoding: rhs.field, as: UTF8.self))
            switch (left, right) {
            case (let l?, let r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return lhs.field.lexicographicallyPrecedes(rhs.field)
            }
        }
        var writer = JSONWriter(capacity: pairs.count * 16)
        writer.raw("{")
        for (offset, pair) in pairs.enumerated() {
            if offset > 0 { writer.raw(",") }
            writer.string(pair.field)
            writer.raw(":")
            if JSONWriter.isJSONNumber(pair.value) {
                writer.raw(pair.value)
            } else {
                writer.string(pair.value)
            }
        }
        writer.raw("}")
        return writer.bytes
    }

    /// The whole `data_batch` frame for `group`, given the rendered values of its keys.
    static func dataBatch(for group: TelemetryGroup, values: [String: [UInt8]], now: Date = Date()) -> [UInt8] {
        let seconds = Int(now.timeIntervalSince1970)
        var writer = JSONWriter(capacity: 128 + values.values.reduce(0) { $0 + $1.count + 64 })
        writer.raw(#"{"updates":["#)
        var first = true
        for channel in group.channels {
            for type in group.types {
                guard let rendered = values["\(group.source):\(channel):\(type)"] else { continue }
                if !first { writer.raw(",") }
                first = false
                writer.raw(#"{"source":"#)
                writer.string(group.source)
                writer.raw(#","channel_id":"#)
                writer.integer(channel)
                writer.raw(#","data_type":"#)
                writer.string(type)
                writer.raw(#","values":"#)
                writer.raw(rendered)
                writer.raw("}")
            }
        }
        writer.raw("]}")
        return ServerFrame.envelope("data_batch", id: "batch_\(seconds)", timestamp: Int64(seconds), dataJSON: writer.bytes)
    }

    /// Reads `keys` with one pipelined round trip and renders each present hash.
    static func read(_ keys: [String], from redis: RedisClient) async throws -> [String: [UInt8]] {
        guard !keys.isEmpty else { return [:] }
        let replies = try await redis.pipeline(keys.map { ["HGETALL", $0] })
        var values: [String: [UInt8]] = [:]
        values.reserveCapacity(keys.count)
        for (key, reply) in zip(keys, replies) {
            if let rendered = renderValues(reply) { values[key] = rendered }
        }
        return values
    }
}
