/// The policy the edges enforce themselves, so a client is refused even while auth is down (DESIGN.md §9).
///
/// Auth is the owner: an edge loads a snapshot at start and on every sync (`auth.policy.snapshot`), and auth announces
/// each change on the event bus (auth → ingest PUSH → scheduler → XPUB topic → every edge's SUB), the same path the
/// menu service's change frames take. A notice that is lost (no scheduler connected at that moment) is healed by the
/// next periodic snapshot.
public enum PolicyTopic {
    /// `BlocklistNotice` JSON, one per block or unblock.
    public static let blocklist = "policy/blocklist"
    /// `RoomACLNotice` JSON, one per room ACL change.
    public static let roomACL = "policy/room-acl"
}

/// `auth.policy.snapshot`: the whole blocklist (policy key → reason) and the per-IP connection limit.
public enum PolicySnapshot: RPCMethod {
    public struct Result: Codable, Sendable, Equatable {
        /// Policy keys (`IPAddress.policyKey`: an IPv4 address or an IPv6 /64) → the reason given when blocking.
        public var blocked: [String: String]
        public var maxConnectionsPerIP: Int
        public init(blocked: [String: String], maxConnectionsPerIP: Int) {
            self.blocked = blocked
            self.maxConnectionsPerIP = maxConnectionsPerIP
        }
    }
    public typealias Params = NoParams
    public static let name = "auth.policy.snapshot"
}

/// One blocklist change: `reason` set when `ip` (a policy key) was blocked, nil when it was unblocked.
public struct BlocklistNotice: Codable, Sendable, Equatable {
    public var ip: String
    public var reason: String?
    public init(ip: String, reason: String?) {
        self.ip = ip
        self.reason = reason
    }
}

/// A room's new ACL: the edges drop live members who may no longer be in the room.
public struct RoomACLNotice: Codable, Sendable, Equatable {
    public var room: String
    public var isPrivate: Bool
    public var members: [String]
    public init(room: String, isPrivate: Bool, members: [String]) {
        self.room = room
        self.isPrivate = isPrivate
        self.members = members
    }
}
