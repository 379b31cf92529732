import Redis

/// Who is in a room, per edge: `room:{id}:members:{edge}` hash user → that user's connections in the room on that edge,
/// and `room:{id}:edges`, the set of edges that have (had) members there. Every key has a short TTL that the edge renews
/// while it lives (`scheduler.room.presence`), so when an edge dies its members disappear within the TTL: no ghosts.
///
/// The member list is the union of the live per-edge hashes; reading it prunes edges whose hash has expired.
struct RoomPresenceStore: Sendable {
    let redis: RedisClient
    /// Lifetime of presence an edge does not renew (`SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS`).
    let ttlSeconds: Int

    static func membersKey(_ room: String, edge: String) -> String { "room:\(room):members:\(edge)" }
    static func edgesKey(_ room: String) -> String { "room:\(room):edges" }

    private static let set = RedisScript(
        """
        if tonumber(ARGV[2]) > 0 then
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          redis.call('EXPIRE', KEYS[1], ARGV[3])
        else
          redis.call('HDEL', KEYS[1], ARGV[1])
        end
        redis.call('SADD', KEYS[2], ARGV[4])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        return 1
        """)

    private static let adjust = RedisScript(
        """
        local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
        if n <= 0 then
          redis.call('HDEL', KEYS[1], ARGV[1])
          n = 0
        else
          redis.call('EXPIRE', KEYS[1], ARGV[3])
        end
        redis.call('SADD', KEYS[2], ARGV[4])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        return n
        """)

    private static let members = RedisScript(
        """
        local seen, out = {}, {}
        for _, edge in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local users = redis.call('HKEYS', ARGV[1] .. edge)
          if #users == 0 then redis.call('SREM', KEYS[1], edge) end
          for _, user in ipairs(users) do
            if not seen[user] then
              seen[user] = true
              out[#out + 1] = user
            end
          end
        end
        return out
        """)

    /// The commands that set one user's connection count on one edge (0 removes it), then read the members.
    func updateCommands(room: String, edge: String, user: String, connections: Int) -> [[String]] {
        [
            Self.set.evalCommand(
                keys: [Self.membersKey(room, edge: edge), Self.edgesKey(room)],
                arguments: [user, String(max(0, connections)), String(ttlSeconds), edge]
            ),
            membersCommand(room: room),
        ]
    }

    /// The commands that add `delta` to one user's connection count on one edge (the count left is the first reply;
    /// at 0 the user is gone from that edge), then read the members. Atomic, so joins on any scheduler instance agree.
    func adjustCommands(room: String, edge: String, user: String, delta: Int) -> [[String]] {
        [
            Self.adjust.evalCommand(
                keys: [Self.membersKey(room, edge: edge), Self.edgesKey(room)], arguments: [user, String(delta), String(ttlSeconds), edge]),
            membersCommand(room: room),
        ]
    }

    func membersCommand(room: String) -> [String] {
        Self.members.evalCommand(keys: [Self.edgesKey(room)], arguments: ["room:\(room):members:"])
    }

    static func memberList(_ reply: RedisValue) -> [String] {
        (reply.array ?? []).compactMap(\.text).sorted()
    }

    /// Replaces an edge's presence in the given rooms with its authoritative counts and renews their TTL.
    func sync(edge: String, rooms: [String: [String: Int]], ttlSeconds: Int) async throws {
        var commands: [[String]] = []
        for (room, users) in rooms {
            let key = Self.membersKey(room, edge: edge)
            commands.append(["DEL", key])
            let live = users.filter { $0.value > 0 }
            if !live.isEmpty {
                commands.append(["HSET", key] + live.flatMap { [$0.key, String($0.value)] })
                commands.append(["EXPIRE", key, String(ttlSeconds)])
                commands.append(["SADD", Self.edgesKey(room), edge])
                commands.append(["EXPIRE", Self.edgesKey(room), String(ttlSeconds)])
            }
        }
        guard !commands.isEmpty else { return }
        _ = try await redis.pipeline(commands)
    }
}
