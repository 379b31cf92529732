/// The batched exchanges that keep an edge's local limits global without an RPC per upgrade or per frame.
///
/// An edge decides admissions and message rates by itself, from its own counts plus what these periodic calls tell it
/// about everybody else; auth (Redis) holds the global state.

/// `auth.policy.counts`: an edge's authoritative connection counts per policy key (as `auth.policy.sync`), answered
/// with the other live edges' counts for every key they hold, so the edge admits `local + others < limit` by itself.
public enum PolicyCountsExchange: RPCMethod {
    public struct Params: Codable, Sendable {
        public var edgeID: String
        /// Policy key (`IPAddress.key`) → open connections on this edge.
        public var connectionsByKey: [String: Int]
        /// How long these counts (the edge's lease) live without a new exchange.
        public var ttlSeconds: Int
        public init(edgeID: String, connectionsByKey: [String: Int], ttlSeconds: Int) {
            self.edgeID = edgeID
            self.connectionsByKey = connectionsByKey
            self.ttlSeconds = ttlSeconds
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// Policy key → open connections on all other live edges together (keys with none are absent).
        public var othersByKey: [String: Int]
        public var maxConnectionsPerIP: Int
        public init(othersByKey: [String: Int], maxConnectionsPerIP: Int) {
            self.othersByKey = othersByKey
            self.maxConnectionsPerIP = maxConnectionsPerIP
        }
    }
    public static let name = "auth.policy.counts"
}

/// `auth.rate.sync`: the messages an edge let through per subject since its last sync (`user:<name>` or
/// `ip:<policy key>`), taken from the global `message` buckets in one script call, answered with each bucket's
/// remaining tokens: the edge's allowance for that subject until the next sync.
public enum RateSync: RPCMethod {
    /// The most subjects one sync may carry; an edge with more sends the rest next time.
    public static let maxSubjects = 20_000

    public struct Params: Codable, Sendable {
        public var edgeID: String
        /// Subject → messages admitted since the last sync (0: only asking for the current budget).
        public var used: [String: Int]
        public init(edgeID: String, used: [String: Int]) {
            self.edgeID = edgeID
            self.used = used
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// Subject → tokens left in its global bucket after this sync (negative: overspent, paid back by the refill).
        public var remaining: [String: Double]
        /// Auth's bucket settings, which the edge adopts (so one setting governs every edge).
        public var perSecond: Double
        public var burst: Double
        public init(remaining: [String: Double], perSecond: Double, burst: Double) {
            self.remaining = remaining
            self.perSecond = perSecond
            self.burst = burst
        }
    }
    public static let name = "auth.rate.sync"
}
