/// A decoded Redis (RESP2) reply.
///
/// Replies are copied out of hiredis' C structures on the connection thread, so this value owns its
/// bytes and can cross to any task. Bulk strings stay `[UInt8]` because Redis is binary-safe and
/// many keys hold non-UTF-8 data; `text` is the convenient view for the common UTF-8 case.
public enum RedisValue: Sendable, Equatable {
    /// A nil bulk string or nil multi-bulk (for example GET of a missing key).
    case null
    /// A bulk string or a status reply such as `OK`.
    case string([UInt8])
    /// An integer reply.
    case integer(Int)
    /// A multi-bulk reply; elements may themselves be any value, including `.error` inside EXEC results.
    case array([RedisValue])
    /// An error reply. `RedisClient.send` throws these as `RedisError.server`; `pipeline` returns them in place.
    case error(String)

    /// The UTF-8 text of a `.string`, or nil for other cases and for invalid UTF-8.
    public var text: String? {
        guard case .string(let bytes) = self else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The value of an `.integer`, or of a `.string` that parses as a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .string: return text.flatMap { Int($0) }
        default: return nil
        }
    }

    /// The elements of an `.array`, or nil.
    public var array: [RedisValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// True for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension RedisValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: return "(nil)"
        case .string(let bytes): return text.map { "\"\($0)\"" } ?? "<\(bytes.count) bytes>"
        case .integer(let value): return "(integer) \(value)"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .error(let message): return "(error) \(message)"
        }
    }
}
