import Foundation

/// What the scheduler knows about one connection between its frames, kept by the edge (opaque there) and sent back
/// with every command, so any scheduler instance can answer any frame.
struct ConnectionState: Codable, Sendable, Equatable {
    /// The connection's telemetry subscriptions, one per source, interval and data types, each with the group topic it
    /// is in. Several at once: the VoltageEMS dashboard keeps one per page component on a single socket.
    var subscriptions: [Telemetry]?
    /// The rules whose execution state it watches (`source: "rule"`), one topic each.
    var rules: [RuleWatch]?
    /// `alarm/*` or `alarm/<channel>` topics, with `alarm/num`.
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

    var telemetry: [Telemetry] {
        get { subscriptions ?? [] }
        set { subscriptions = newValue.isEmpty ? nil : newValue }
    }

    var watchedRules: [RuleWatch] {
        get { rules ?? [] }
        set { rules = newValue.isEmpty ? nil : newValue.sorted { $0.rule < $1.rule } }
    }

    /// Channels and rules held, for the per-connection bound.
    var heldCount: Int { telemetry.reduce(0) { $0 + $1.channels.count } + watchedRules.count }

    /// The state of a command (nil or empty: none); a state that does not decode is dropped rather than trusted.
    init(text: String?) {
        guard let text, !text.isEmpty, let decoded = try? JSONDecoder().decode(ConnectionState.self, from: Data(text.utf8)) else {
            self.init()
            return
        }
        self = decoded
    }

    init(subscriptions: [Telemetry]? = nil, rules: [RuleWatch]? = nil, alarms: [String]? = nil, rooms: [String]? = nil) {
        self.subscriptions = subscriptions
        self.rules = rules
        self.alarms = alarms
        self.rooms = rooms
    }

    /// The text the edge stores: empty when nothing is left.
    var text: String {
        guard self != ConnectionState() else { return "" }
        return (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
