import Redis

/// One entry of a Redis stream reply (`XRANGE`, `XREVRANGE`): its id and its fields.
struct StreamEntry: Sendable, Equatable {
    let id: String
    let fields: [String: String]

    /// Parses `[[id, [field, value, …]], …]`; entries that do not have that shape are skipped.
    static func list(_ reply: RedisValue) -> [StreamEntry] {
        (reply.array ?? []).compactMap(entry)
    }

    static func entry(_ value: RedisValue) -> StreamEntry? {
        guard let parts = value.array, parts.count == 2, let id = parts[0].text, let flat = parts[1].array else { return nil }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].text, let value = flat[index + 1].text { fields[name] = value }
            index += 2
        }
        return StreamEntry(id: id, fields: fields)
    }
}
