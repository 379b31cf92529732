import Foundation

/// What the scheduler knows about one connection between its frames, kept by the edge (opaque there) and sent back
/// with every command, so any scheduler instance can answer any frame.
struct ConnectionState: Codable, Sendable, Equatable {
    /// The union of the connection's telemetry subscriptions and the group topic it is in.
    var telemetry: Telemetry?
    /// `alarm/*` or `alarm/<channel>` topics.
    var alarms: [String]?
    /// The rooms the connection is in.
    var rooms: [String]?

    struct Telemetry: Codable, Sendable, Equatable {
        var source: String
        var intervalMs: Int
        var channels: [Int]
        var types: [String]
        var topic: String?
    }

    var roomSet: Set<String> {
        get { Set(rooms ?? []) }
        set { rooms = newValue.isEmpty ? nil : newValue.sorted() }
    }

    /// The state of a command (nil or empty: none); a state that does not decode is dropped rather than trusted.
    init(text: String?) {
        guard let text, !text.isEmpty, let decoded = try? JSONDecoder().decode(ConnectionState.self, from: Data(text.utf8)) else {
            self.init()
            return
        }
        self = decoded
    }

    init(telemetry: Telemetry? = nil, alarms: [String]? = nil, rooms: [String]? = nil) {
        self.telemetry = telemetry
        self.alarms = alarms
        self.rooms = rooms
    }

    /// The text the edge stores: empty when nothing is left.
    var text: String {
        guard self != ConnectionState() else { return "" }
        return (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
