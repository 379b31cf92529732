import Redis
import ServiceKit
import SwitchboardProtocol

/// Who may join a room: `room:{id}:acl` hash (`private` "1" or "0") and `room:{id}:acl:members` set of user names.
///
/// Rooms are public unless marked private; a private room admits its members and admins. The ACL lives in auth (not with
/// the room's history in the scheduler) because it is a policy decision about a principal, next to roles and tokens.
struct RoomACLStore: Sendable {
    let redis: RedisClient
    /// `SWITCHBOARD_ANONYMOUS_ROOMS`: whether anonymous connections may join and read public rooms.
    var anonymousMayJoinPublicRooms = true

    static let maxRoomLength = 128
    static let maxMembers = 10_000

    static func aclKey(_ room: String) -> String { "room:\(room):acl" }
    static func membersKey(_ room: String) -> String { "room:\(room):acl:members" }

    struct ACL: Codable, Sendable, Equatable {
        let room: String
        let isPrivate: Bool
        let members: [String]

        enum CodingKeys: String, CodingKey {
            case room, members
            case isPrivate = "private"
        }
    }

    private static let replace = RedisScript(
        """
        redis.call('DEL', KEYS[2])
        for i = 2, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
        redis.call('HSET', KEYS[1], 'private', ARGV[1])
        return 1
        """)

    /// nil when `room` is usable as a room id, else why not: printable, no spaces, bounded.
    static func problem(room: String) -> String? {
        let bytes = Array(room.utf8)
        guard !bytes.isEmpty, bytes.count <= maxRoomLength, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "room must be 1 to \(maxRoomLength) printable ASCII characters without spaces"
        }
        return nil
    }

    func get(_ room: String) async throws -> ACL {
        let replies = try await redis.pipeline([["HGET", Self.aclKey(room), "private"], ["SMEMBERS", Self.membersKey(room)]])
        let members = (replies.last?.array ?? []).compactMap(\.text).sorted()
        return ACL(room: room, isPrivate: replies.first?.text == "1", members: members)
    }

    /// Replaces the room's ACL (privacy and the whole member list) atomically.
    func put(_ room: String, isPrivate: Bool, members: [String]) async throws -> ACL {
        let unique = Array(Set(members)).sorted()
        _ = try await Self.replace.run(redis, keys: [Self.aclKey(room), Self.membersKey(room)], arguments: [isPrivate ? "1" : "0"] + unique)
        return ACL(room: room, isPrivate: isPrivate, members: unique)
    }

    /// `auth.room.access`: public rooms admit everyone, private rooms their members and admins.
    func access(room: String, principal: Principal?) async throws -> PolicyDecision {
        if let problem = Self.problem(room: room) { throw RPCError.badRequest(problem) }
        let replies = try await redis.pipeline([
            ["HGET", Self.aclKey(room), "private"], ["SISMEMBER", Self.membersKey(room), principal?.user ?? ""],
        ])
        guard replies.first?.text == "1" else {
            if principal == nil, !anonymousMayJoinPublicRooms {
                return PolicyDecision(
                    allowed: false, code: "forbidden", message: AnonymousAccess.refusal("rooms", setting: "SWITCHBOARD_ANONYMOUS_ROOMS"))
            }
            return .allow
        }
        guard let principal else {
            return PolicyDecision(allowed: false, code: "forbidden", message: "room \(room) is private; sign in as a member")
        }
        if principal.roles.contains(Role.admin.rawValue) || replies.last?.int == 1 { return .allow }
        return PolicyDecision(allowed: false, code: "forbidden", message: "room \(room) is private and \(principal.user) is not a member")
    }
}
