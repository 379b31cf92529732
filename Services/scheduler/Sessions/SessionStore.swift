import Redis
import SwitchboardProtocol

/// Per-connection session data, `session:{sid}` hash (`user`, `ip`, `edge`, `connected_at` ms, `rooms` comma-separated),
/// with a TTL (`SWITCHBOARD_SESSION_TTL_SECONDS`, default one day) that the edge renews while the connection lives.
///
/// It is written and deleted when the edge reports the connection opening and closing (`scheduler.connection`); when
/// an edge dies instead, its sessions simply expire: Redis' TTL is the cleanup.
struct SessionStore: Sendable {
    let redis: RedisClient
    let ttlSeconds: Int

    static func key(_ session: String) -> String { "session:\(session)" }

    /// Records a connection (`connectedAt` in Unix milliseconds) with the session TTL.
    func open(session: String, user: String, ip: String, edge: String, connectedAt: Int64) async throws {
        _ = try await redis.pipeline(openCommands(session: session, user: user, ip: ip, edge: edge, connectedAt: connectedAt))
    }

    func close(session: String) async throws {
        _ = try await redis.pipeline(closeCommands(session: session))
    }

    /// The commands that record a connection; they throw for an invalid session id before anything is sent.
    func openCommands(session: String, user: String, ip: String, edge: String, connectedAt: Int64) throws -> [[String]] {
        try Self.validate(session)
        let key = Self.key(session)
        return [
            ["HSET", key, "user", user, "ip", ip, "edge", edge, "connected_at", String(connectedAt), "rooms", ""],
            ["EXPIRE", key, String(ttlSeconds)],
        ]
    }

    func closeCommands(session: String) throws -> [[String]] {
        try Self.validate(session)
        return [["DEL", Self.key(session)]]
    }

    /// The commands that record the session's rooms and renew its TTL.
    func roomsCommands(session: String, rooms: [String]) -> [[String]] {
        let key = Self.key(session)
        return [["HSET", key, "rooms", rooms.sorted().joined(separator: ",")], ["EXPIRE", key, String(ttlSeconds)]]
    }

    /// Renews the TTL of live sessions (only those that still exist: `EXPIRE` does not create keys).
    func renew(_ sessions: [String]) async throws {
        let commands = sessions.filter { Self.isValid($0) }.map { ["EXPIRE", Self.key($0), String(ttlSeconds)] }
        guard !commands.isEmpty else { return }
        _ = try await redis.pipeline(commands)
    }

    static func isValid(_ session: String) -> Bool {
        (1...200).contains(session.utf8.count) && session.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func validate(_ session: String) throws {
        guard isValid(session) else { throw RPCError.badRequest("session id must be 1 to 200 printable ASCII characters") }
    }
}
