/// The connection-policy methods the edge asks auth about. Policy state lives in Redis, so it holds across all edges.

/// A yes or no from policy, with what the client is told when it is no.
public struct PolicyDecision: Codable, Sendable, Equatable {
    public var allowed: Bool
    /// `ip_blocked`, `too_many_connections`, `rate_limited`, `forbidden`, … when refused.
    public var code: String?
    public var message: String?
    /// For limits: when trying again can succeed (HTTP `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(allowed: Bool, code: String? = nil, message: String? = nil, retryAfterSeconds: Int? = nil) {
        self.allowed = allowed
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public static let allow = PolicyDecision(allowed: true)
}

/// `auth.policy.admit`: may this IP (and user) open one more WebSocket? When allowed, the connection is counted for `edgeID`.
public enum PolicyAdmit: RPCMethod {
    public struct Params: Codable, Sendable {
        public var edgeID: String
        public var ip: String
        public var user: String?
        public init(edgeID: String, ip: String, user: String?) {
            self.edgeID = edgeID
            self.ip = ip
            self.user = user
        }
    }
    public typealias Result = PolicyDecision
    public static let name = "auth.policy.admit"
}

/// `auth.policy.release`: a counted connection closed.
public enum PolicyRelease: RPCMethod {
    public struct Params: Codable, Sendable {
        public var edgeID: String
        public var ip: String
        public init(edgeID: String, ip: String) {
            self.edgeID = edgeID
            self.ip = ip
        }
    }
    public typealias Result = NoParams
    public static let name = "auth.policy.release"
}

/// `auth.policy.sync`: an edge's authoritative connection counts per IP, re-sent periodically. The counts expire after
/// `ttlSeconds`, so the connections of an edge that dies stop counting without anyone cleaning up.
public enum PolicyEdgeSync: RPCMethod {
    public struct Params: Codable, Sendable {
        public var edgeID: String
        public var connectionsByIP: [String: Int]
        public var ttlSeconds: Int
        public init(edgeID: String, connectionsByIP: [String: Int], ttlSeconds: Int) {
            self.edgeID = edgeID
            self.connectionsByIP = connectionsByIP
            self.ttlSeconds = ttlSeconds
        }
    }
    public typealias Result = NoParams
    public static let name = "auth.policy.sync"
}

/// `auth.rate.check`: takes one token from the bucket of `subject` (`user:<name>` or `ip:<addr>`) for `kind`
/// (`message`: WebSocket frames; `question`: questions, default 5/min).
public enum RateCheck: RPCMethod {
    public struct Params: Codable, Sendable {
        public var subject: String
        public var kind: String
        public init(subject: String, kind: String) {
            self.subject = subject
            self.kind = kind
        }
    }
    public typealias Result = PolicyDecision
    public static let name = "auth.rate.check"
}

/// `auth.room.access`: may this caller join (and post to) a room? Public rooms admit everyone, private ones their members.
public enum RoomAccess: RPCMethod {
    public struct Params: Codable, Sendable {
        public var room: String
        public var principal: Principal?
        public init(room: String, principal: Principal?) {
            self.room = room
            self.principal = principal
        }
    }
    public typealias Result = PolicyDecision
    public static let name = "auth.room.access"
}
