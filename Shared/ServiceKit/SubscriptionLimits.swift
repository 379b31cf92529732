import Foundation

/// How many telemetry channels one `subscribe` may name and one connection may hold, read by the edge (which refuses
/// early, before a large request crosses the bus) and by the scheduler (which enforces them for whoever calls it).
///
/// Without them one frame could name tens of thousands of channels: as many Redis reads per tick, and a group topic and
/// `data_batch` that grow with it.
public struct SubscriptionLimits: Sendable, Equatable {
    public static let perSubscribeVariable = "SWITCHBOARD_MAX_CHANNELS_PER_SUBSCRIBE"
    public static let perConnectionVariable = "SWITCHBOARD_MAX_CHANNELS_PER_CONNECTION"
    public static let defaultPerSubscribe = 1000
    public static let defaultPerConnection = 1000

    /// The most channel ids one `subscribe` frame may list.
    public let perSubscribe: Int
    /// The most channels one connection's merged subscription may hold.
    public let perConnection: Int

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(perSubscribe: Int = Self.defaultPerSubscribe, perConnection: Int = Self.defaultPerConnection) {
        self.perSubscribe = perSubscribe
        self.perConnection = perConnection
    }

    /// From the environment; both must be whole numbers from 1 to 1,000,000.
    public init(config: SwitchboardConfig) throws(Invalid) {
        var values: [Int] = []
        for (name, fallback) in [(Self.perSubscribeVariable, Self.defaultPerSubscribe), (Self.perConnectionVariable, Self.defaultPerConnection)] {
            let raw = config.environment[name]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !raw.isEmpty else {
                values.append(fallback)
                continue
            }
            guard let value = Int(raw), (1...1_000_000).contains(value) else {
                throw Invalid(description: "\(name) must be a whole number from 1 to 1000000 (got \(raw))")
            }
            values.append(value)
        }
        self.init(perSubscribe: values[0], perConnection: values[1])
    }
}
