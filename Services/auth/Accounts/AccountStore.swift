import OpenSSLCrypto
import Redis

/// Accounts in Redis: `user:{name}` hashes (`password_hash`, `salt` hex, `iterations`, `scheme` (absent: the password
/// itself, `md5`: its MD5 hex), `roles` comma-separated, `created_at`, `updated_at`, `last_login` Unix seconds, `id` a
/// number from the `users:next_id` counter) and the `users` set of every name.
///
/// Creation and role changes are Lua scripts, so "create unless it exists" and "change unless it is gone" cannot race
/// with each other or with a second request for the same name.
struct AccountStore: Sendable {
    let redis: RedisClient

    static let allUsersKey = "users"
    /// The counter behind `id`: numbers are never reused, so a deleted user's id cannot name a new one.
    static let nextIDKey = "users:next_id"

    static func key(_ name: String) -> String { "user:\(name)" }

    private static let create = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        local id = redis.call('INCR', KEYS[3])
        redis.call('HSET', KEYS[1], 'password_hash', ARGV[1], 'salt', ARGV[2], 'iterations', ARGV[3], 'roles', ARGV[4], 'created_at', ARGV[5],
          'updated_at', ARGV[5], 'scheme', ARGV[7], 'id', id)
        redis.call('SADD', KEYS[2], ARGV[6])
        return id
        """)

    private static let setField = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
        return 1
        """)

    /// The account's `id`, numbering an older record (no `id` field) on first use; 0 when the account is gone.
    private static let ensureID = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local id = redis.call('HGET', KEYS[1], 'id')
        if id then return tonumber(id) end
        id = redis.call('INCR', KEYS[2])
        redis.call('HSET', KEYS[1], 'id', id)
        return id
        """)

    private static let fields = ["password_hash", "salt", "iterations", "roles", "created_at", "scheme", "id", "last_login", "updated_at"]

    func find(_ name: String) async throws -> Account? {
        let reply = try await redis.send(["HMGET", Self.key(name)] + Self.fields)
        guard let fields = reply.array, fields.count == Self.fields.count,
            let derived = fields[0].text.flatMap(Hex.decode), let salt = fields[1].text.flatMap(Hex.decode), let iterations = fields[2].int
        else { return nil }
        let roles = (fields[3].text ?? "").split(separator: ",").map(String.init)
        return Account(
            name: name, roles: roles, createdAt: fields[4].int ?? 0, password: PasswordHash(derived: derived, salt: salt, iterations: iterations),
            scheme: PasswordScheme(stored: fields[5].text), id: fields[6].int, lastLogin: fields[7].int, updatedAt: fields[8].int)
    }

    /// Creates the account unless the name is taken; its new `id`, or nil when the name is taken.
    func create(name: String, password: PasswordHash, scheme: PasswordScheme, roles: [String], createdAt: Int) async throws -> Int? {
        let reply = try await Self.create.runDurable(
            redis,
            keys: [Self.key(name), Self.allUsersKey, Self.nextIDKey],
            arguments: [
                Hex.encode(password.derived), Hex.encode(password.salt), String(password.iterations), roles.joined(separator: ","),
                String(createdAt), name, scheme.rawValue,
            ]
        )
        guard let id = reply.int, id > 0 else { return nil }
        return id
    }

    /// Replaces the roles of an existing account; false when there is no such account.
    func setRoles(_ name: String, roles: [String], at now: Int) async throws -> Bool {
        let arguments = ["roles", roles.joined(separator: ","), "updated_at", String(now)]
        return try await Self.setField.runDurable(redis, keys: [Self.key(name)], arguments: arguments).int == 1
    }

    /// Stores a new hash for an existing account (a cost or scheme upgrade after a login); false when the account is gone.
    func setPassword(_ name: String, _ password: PasswordHash, scheme: PasswordScheme, at now: Int) async throws -> Bool {
        let arguments = [
            "password_hash", Hex.encode(password.derived), "salt", Hex.encode(password.salt), "iterations", String(password.iterations),
            "scheme", scheme.rawValue, "updated_at", String(now),
        ]
        return try await Self.setField.runDurable(redis, keys: [Self.key(name)], arguments: arguments).int == 1
    }

    /// Notes a successful login (the VoltageEMS API's `last_login`); false when the account is gone.
    func recordLogin(_ name: String, at now: Int) async throws -> Bool {
        try await Self.setField.run(redis, keys: [Self.key(name)], arguments: ["last_login", String(now)]).int == 1
    }

    /// The account's number, given now if it is an older record without one; nil when the account is gone.
    func ensureID(_ name: String) async throws -> Int? {
        guard let id = try await Self.ensureID.runDurable(redis, keys: [Self.key(name), Self.nextIDKey], arguments: []).int, id > 0 else {
            return nil
        }
        return id
    }
}
