import Bus
import Redis
import SwitchboardProtocol

/// Per-connection session data, `session:{sid}` hash (`user`, `ip`, `edge`, `connected_at` ms, `rooms` comma-separated),
/// with a TTL (`SWITCHBOARD_SESSION_TTL_SECONDS`, default one day) that the edge renews while the connection lives.
///
/// The edge deletes it on disconnect; when an edge dies instead, its sessions simply expire: Redis' TTL is the cleanup.
struct SessionStore: Sendable {
    let redis: RedisClient
    let ttlSeconds: Int

    static func key(_ session: String) -> String { "session:\(session)" }

    func register(on rpc: RPCServer) {
        rpc.register(SessionOpen.self) { params, _ in
            try await open(params)
            return NoParams()
        }
        rpc.register(SessionClose.self) { params, _ in
            try Self.validate(params.session)
            _ = try await redis.send(["DEL", Self.key(params.session)])
            return NoParams()
        }
    }

    func open(_ params: SessionOpen.Params) async throws {
        try Self.validate(params.session)
        let key = Self.key(params.session)
        _ = try await redis.pipeline([
            [
                "HSET", key, "user", params.user, "ip", params.ip, "edge", params.edge, "connected_at", String(params.connectedAt),
                "rooms", "",
            ],
            ["EXPIRE", key, String(ttlSeconds)],
        ])
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
