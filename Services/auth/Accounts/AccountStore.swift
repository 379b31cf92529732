import OpenSSLCrypto
import Redis

/// Accounts in Redis: `user:{name}` hashes (`password_hash`, `salt` hex, `iterations`, `roles` comma-separated,
/// `created_at` Unix seconds) and the `users` set of every name.
///
/// Creation and role changes are Lua scripts, so "create unless it exists" and "change unless it is gone" cannot race
/// with each other or with a second request for the same name.
struct AccountStore: Sendable {
    let redis: RedisClient

    static let allUsersKey = "users"

    static func key(_ name: String) -> String { "user:\(name)" }

    private static let create = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'password_hash', ARGV[1], 'salt', ARGV[2], 'iterations', ARGV[3], 'roles', ARGV[4], 'created_at', ARGV[5])
        redis.call('SADD', KEYS[2], ARGV[6])
        return 1
        """)

    private static let setField = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
        return 1
        """)

    func find(_ name: String) async throws -> Account? {
        let reply = try await redis.send("HMGET", Self.key(name), "password_hash", "salt", "iterations", "roles", "created_at")
        guard let fields = reply.array, fields.count == 5,
            let derived = fields[0].text.flatMap(Hex.decode), let salt = fields[1].text.flatMap(Hex.decode), let iterations = fields[2].int
        else { return nil }
        let roles = (fields[3].text ?? "").split(separator: ",").map(String.init)
        return Account(
            name: name, roles: roles, createdAt: fields[4].int ?? 0, password: PasswordHash(derived: derived, salt: salt, iterations: iterations))
    }

    /// Creates the account unless the name is taken; false when it is.
    func create(name: String, password: PasswordHash, roles: [String], createdAt: Int) async throws -> Bool {
        let reply = try await Self.create.runDurable(
            redis,
            keys: [Self.key(name), Self.allUsersKey],
            arguments: [
                Hex.encode(password.derived), Hex.encode(password.salt), String(password.iterations), roles.joined(separator: ","),
                String(createdAt), name,
            ]
        )
        return reply.int == 1
    }

    /// Replaces the roles of an existing account; false when there is no such account.
    func setRoles(_ name: String, roles: [String]) async throws -> Bool {
        try await Self.setField.runDurable(redis, keys: [Self.key(name)], arguments: ["roles", roles.joined(separator: ",")]).int == 1
    }

    /// Stores a new hash for an existing account (the cost upgrade after a login); false when the account is gone.
    func setPassword(_ name: String, _ password: PasswordHash) async throws -> Bool {
        let arguments = ["password_hash", Hex.encode(password.derived), "salt", Hex.encode(password.salt), "iterations", String(password.iterations)]
        return try await Self.setField.runDurable(redis, keys: [Self.key(name)], arguments: arguments).int == 1
    }
}
