/// What the edges and the menu service push to the scheduler's ingest pipe (PUSH → PULL).
///
/// The scheduler persists what must be persisted first, then publishes, so a frame a client saw is a frame that is stored.
public struct IngestEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Publish `frame` on `topic` as it is (its producer already stored what it needs, e.g. menu changes).
        case publish
    }

    public var kind: Kind
    /// A topic of DESIGN.md §2: `all`, `user/<user>`, `room/<room>`, `alarm/<channel>`, …
    public var topic: String
    /// The finished WebSocket frame text the edges write to every subscriber.
    public var frame: String

    public init(kind: Kind = .publish, topic: String, frame: String) {
        self.kind = kind
        self.topic = topic
        self.frame = frame
    }
}
