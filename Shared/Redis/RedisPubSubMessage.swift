/// One message delivered to a `RedisSubscriber`.
///
/// The payload stays bytes because PUBLISH is binary-safe; `text` covers the usual UTF-8 case.
public struct RedisPubSubMessage: Sendable, Equatable {
    /// The channel the message was published to.
    public var channel: String
    /// The pattern that matched, for messages received through PSUBSCRIBE; nil for plain SUBSCRIBE.
    public var pattern: String?
    /// The published bytes.
    public var payload: [UInt8]

    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// The payload as UTF-8, or nil if it is not valid UTF-8.
    public var text: String? { String(validating: payload, as: UTF8.self) }
}
