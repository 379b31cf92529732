import Logging
import Redis
import SwitchboardProtocol

/// Role → permission grants in Redis: a `role:{role}:permissions` set per role and the `permissions:roles` set of the
/// roles that are configured (so a role set to no permissions stays configured instead of being re-seeded), with a
/// `permissions:version` counter bumped on every change.
///
/// A role that was never configured has its default grants (`defaults`), which the service also writes on its first
/// start. Everyone, signed in or not, has the grants of role `anonymous` too (none by default: anonymous callers see
/// only menus without `required_permission`).
struct PermissionStore: Sendable {
    let redis: RedisClient

    static let rolesKey = "permissions:roles"
    static let versionKey = "permissions:version"
    static let anonymousRole = "anonymous"
    static func key(_ role: String) -> String { "role:\(role):permissions" }

    static let defaults: [String: [String]] = [
        anonymousRole: [],
        "viewer": ["menu.view", "dashboard.view"],
        "operator": ["menu.view", "dashboard.view", "control.send"],
        "admin": ["*"],
    ]

    static let maxPermissionsPerRole = 200

    /// A role name: 1–32 lower-case letters, digits, `_` or `-`.
    static func isValidRole(_ role: String) -> Bool {
        (1...32).contains(role.utf8.count)
            && role.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x2D }
    }

    private static let seed = RedisScript(
        """
        if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
        redis.call('SADD', KEYS[1], ARGV[1])
        if #ARGV > 1 then redis.call('SADD', KEYS[2], unpack(ARGV, 2)) end
        return 1
        """)

    /// ARGV: role, then its permissions sorted by byte order. Returns `{1, new version}`, or `{0, version}` when the role
    /// already had exactly these permissions.
    private static let replace = RedisScript(
        """
        local current = redis.call('SMEMBERS', KEYS[2])
        table.sort(current)
        local same = redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 and #current == #ARGV - 1
        if same then
          for i = 1, #current do
            if current[i] ~= ARGV[i + 1] then same = false; break end
          end
        end
        if same then return {0, tonumber(redis.call('GET', KEYS[3]) or '0')} end
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('DEL', KEYS[2])
        if #ARGV > 1 then redis.call('SADD', KEYS[2], unpack(ARGV, 2)) end
        return {1, redis.call('INCR', KEYS[3])}
        """)

    /// Writes the default grants of every default role that is not configured yet; returns the roles it wrote.
    func seedDefaults() async throws -> [String] {
        var seeded: [String] = []
        for (role, permissions) in Self.defaults.sorted(by: { $0.key < $1.key }) {
            let reply = try await Self.seed.run(redis, keys: [Self.rolesKey, Self.key(role)], arguments: [role] + permissions)
            if reply.int == 1 { seeded.append(role) }
        }
        return seeded
    }

    /// The roles a caller acts with (`anonymous` for nobody) and the union of their grants and `anonymous`'s.
    func grants(for principal: Principal?) async throws -> (roles: [String], grants: Set<String>) {
        let roles = principal?.roles ?? []
        let looked = Array(Set(roles + [Self.anonymousRole])).sorted()
        let byRole = try await permissions(of: looked)
        return (principal == nil ? [Self.anonymousRole] : roles, byRole.values.reduce(into: Set<String>()) { $0.formUnion($1) })
    }

    /// The grants of each given role (defaults for roles not configured).
    func permissions(of roles: [String]) async throws -> [String: [String]] {
        let replies = try await redis.pipeline([["SMEMBERS", Self.rolesKey]] + roles.map { ["SMEMBERS", Self.key($0)] })
        for reply in replies {
            if case .error(let message) = reply { throw RedisError.server(message) }
        }
        let configured = Set((replies[0].array ?? []).compactMap(\.text))
        var result: [String: [String]] = [:]
        for (index, role) in roles.enumerated() {
            let stored = (replies[index + 1].array ?? []).compactMap(\.text)
            result[role] = (configured.contains(role) ? stored : Self.defaults[role] ?? []).sorted(by: Self.byteOrder)
        }
        return result
    }

    /// Every configured or default role with its grants.
    func allRoles() async throws -> [String: [String]] {
        let configured = (try await redis.send("SMEMBERS", Self.rolesKey).array ?? []).compactMap(\.text)
        return try await permissions(of: Array(Set(configured).union(Self.defaults.keys)).sorted())
    }

    /// Replaces a role's grants; `changed` is false (and the version unchanged) when they were already exactly these.
    func replace(role: String, permissions: [String]) async throws -> (changed: Bool, version: Int, permissions: [String]) {
        let sorted = Array(Set(permissions)).sorted(by: Self.byteOrder)
        let reply = try await Self.replace.run(
            redis, keys: [Self.rolesKey, Self.key(role), Self.versionKey], arguments: [role] + sorted)
        guard let parts = reply.array, parts.count == 2, let flag = parts[0].int, let version = parts[1].int else {
            throw RedisError.protocolError("unexpected role replace reply: \(reply)")
        }
        return (flag == 1, version, sorted)
    }

    /// Byte order, the order Lua's `table.sort` gives the same ASCII strings.
    static func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

extension PermissionStore {
    /// Seeds the default roles, retrying while Redis is unreachable (the service starts before Redis is up, at times).
    func seedDefaultsWhenReachable(logger: Logger, retry: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            do {
                let seeded = try await seedDefaults()
                if !seeded.isEmpty { logger.info("seeded default permissions for roles \(seeded.joined(separator: ", "))") }
                return
            } catch {
                logger.debug("default permissions not seeded yet: \(error)")
                try? await Task.sleep(for: retry)
            }
        }
    }
}
