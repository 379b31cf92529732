/// A telemetry subscription group: the interval, the sorted channels and data types, and the source. Which data types
/// a source has is the scheduler's table (`SWITCHBOARD_TELEMETRY_SOURCES`: comsrv T,S,C,A, inst A,M,P); a group only
/// checks their spelling.
///
/// Its topic **is** the subscription (`g/<interval>/<channels>/<types>/<source>`), so the scheduler can rebuild every
/// group from the XPUB subscriptions alone after a restart, with no registry to lose.
public struct TelemetryGroup: Sendable, Hashable {
    public static let dataTypes: Set<String> = ["T", "S", "C", "A"]
    public static let intervalRange = 100...3_600_000
    public static let defaultSource = "comsrv"

    public let intervalMs: Int
    public let channels: [Int]
    public let types: [String]
    public let source: String

    /// Sorts and de-duplicates; nil when something is out of range.
    public init?(intervalMs: Int, channels: some Sequence<Int>, types: some Sequence<String>, source: String) {
        let channels = Array(Set(channels)).sorted()
        let types = Array(Set(types)).sorted()
        guard Self.intervalRange.contains(intervalMs), !channels.isEmpty, channels.allSatisfy({ $0 > 0 }),
            !types.isEmpty, types.allSatisfy(Self.isValidDataType), Self.isValidSource(source)
        else { return nil }
        self.intervalMs = intervalMs
        self.channels = channels
        self.types = types
        self.source = source
    }

    public var topic: String {
        "g/\(intervalMs)/\(channels.map(String.init).joined(separator: ","))/\(types.joined(separator: ","))/\(source)"
    }

    /// Parses a group topic; nil for anything else.
    public init?(topic: String) {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "g", let interval = Int(parts[1]) else { return nil }
        let channels = parts[2].split(separator: ",").compactMap { Int($0) }
        let types = parts[3].split(separator: ",").map(String.init)
        guard channels.count == parts[2].split(separator: ",").count else { return nil }
        self.init(intervalMs: interval, channels: channels, types: types, source: String(parts[4]))
        guard self.topic == topic else { return nil }
    }

    /// The Redis hashes this group reads, `{source}:{channel}:{type}`, in frame order.
    public var keys: [String] {
        channels.flatMap { channel in types.map { "\(source):\(channel):\($0)" } }
    }

    /// 1–8 ASCII letters or digits (`T`, `M`, …), so a type never breaks the topic's `/` and `,` grammar.
    public static func isValidDataType(_ type: String) -> Bool {
        (1...8).contains(type.utf8.count) && type.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    public static func isValidSource(_ source: String) -> Bool {
        (1...32).contains(source.count) && source.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}

/// `scheduler.subscribe`: validates requested channels against Redis and returns the group's topic and a `data_batch`
/// frame for the whole (merged) subscription, which the edge sends at once.
public enum TelemetrySubscribe: RPCMethod {
    public struct Params: Codable, Sendable {
        public var source: String
        public var intervalMs: Int
        public var types: [String]
        /// Requested channel ids as the client sent them (numbers expected; anything else fails).
        public var requested: [ChannelReference]
        /// Channels the connection already has (kept without re-checking).
        public var existing: [Int]

        public init(source: String, intervalMs: Int, types: [String], requested: [ChannelReference], existing: [Int]) {
            self.source = source
            self.intervalMs = intervalMs
            self.types = types
            self.requested = requested
            self.existing = existing
        }
    }

    public struct Result: Codable, Sendable {
        public var subscribed: [Int]
        public var failed: [ChannelReference]
        /// The merged group, nil when nothing valid is left.
        public var topic: String?
        public var channels: [Int]
        public var frame: String?

        public init(subscribed: [Int], failed: [ChannelReference], topic: String?, channels: [Int], frame: String?) {
            self.subscribed = subscribed
            self.failed = failed
            self.topic = topic
            self.channels = channels
            self.frame = frame
        }
    }

    public static let name = "scheduler.subscribe"
}

/// A channel id as a client sent it: a number, or something else that is reported back in `failed` as it was.
public enum ChannelReference: Codable, Sendable, Hashable {
    case id(Int)
    case invalid(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .id(number)
        } else if let text = try? container.decode(String.self) {
            self = Int(text).map { .id($0) } ?? .invalid(text)
        } else if let number = try? container.decode(Double.self) {
            self = .invalid(String(number))
        } else {
            self = .invalid("?")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .id(let value): try container.encode(value)
        case .invalid(let text): try container.encode(text)
        }
    }
}

/// `scheduler.control`: queue a control (C) or adjustment (A) command for the field side.
public enum ControlCommand: RPCMethod {
    public struct Params: Codable, Sendable {
        public var source: String
        public var channelID: Int
        public var pointID: Int
        /// `C` or `A`.
        public var type: String
        /// The value exactly as JSON text (a number; `0` is valid).
        public var valueJSON: String
        public var commandID: String
        public var commandType: String
        public var `operator`: String
        public var reason: String?

        public init(
            source: String,
            channelID: Int,
            pointID: Int,
            type: String,
            valueJSON: String,
            commandID: String,
            commandType: String,
            operator: String,
            reason: String?
        ) {
            self.source = source
            self.channelID = channelID
            self.pointID = pointID
            self.type = type
            self.valueJSON = valueJSON
            self.commandID = commandID
            self.commandType = commandType
            self.operator = `operator`
            self.reason = reason
        }
    }

    public struct Result: Codable, Sendable {
        public var key: String
        public var queueLength: Int

        public init(key: String, queueLength: Int) {
            self.key = key
            self.queueLength = queueLength
        }
    }

    public static let name = "scheduler.control"
}
