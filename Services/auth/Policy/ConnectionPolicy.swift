import Redis
import ServiceKit
import SwitchboardProtocol

/// The per-IP WebSocket connection limit and the blocklist check, global across every edge.
///
/// Layout: `conn:{ip}` is a hash `edgeID → open connections from that IP on that edge`, and `connlease:{edgeID}` is the
/// set of IPs that edge currently counts, with a TTL: the edge's lease. A field of `conn:{ip}` counts only while its
/// edge's lease exists and names the IP, so when an edge dies and stops sending `auth.policy.sync`, its lease expires and
/// every count it held stops counting at once, in one key's expiry, without anyone cleaning up (stale fields are dropped
/// lazily by the next admission of that IP, and `conn:{ip}` itself expires with the longest lease that wrote it).
///
/// Chosen over per-edge keys `conn:{ip}:{edge}` because one lease key per edge gives "a dead edge's counts vanish"
/// exactly, and the lease doubles as the index a sync needs to zero the IPs an edge no longer has.
///
/// Admission (blocklist check, sum, compare, increment) is one Lua script, so ten edges admitting the same IP at once
/// cannot overshoot the limit.
struct ConnectionPolicy: Sendable {
    let redis: RedisClient
    let maxPerIP: Int
    /// The lease an edge gets when it admits before its first sync.
    let defaultLeaseSeconds: Int
    /// What a refused client is told to wait: connections close at unknown times, so this is a hint, not a promise.
    static let retryAfterSeconds = 5
    static let maxEdgeIDLength = 128

    static func countKey(_ ip: String) -> String { "conn:\(ip)" }
    static func leaseKey(_ edgeID: String) -> String { "connlease:\(edgeID)" }

    private static let admit = RedisScript(
        """
        local reason = redis.call('HGET', KEYS[1], ARGV[1])
        if reason then return {'blocked', reason} end
        local fields = redis.call('HGETALL', KEYS[2])
        local total = 0
        for i = 1, #fields, 2 do
          if redis.call('SISMEMBER', 'connlease:' .. fields[i], ARGV[1]) == 1 then
            total = total + tonumber(fields[i + 1])
          else
            redis.call('HDEL', KEYS[2], fields[i])
          end
        end
        if total >= tonumber(ARGV[3]) then return {'full', tostring(total)} end
        redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
        redis.call('SADD', KEYS[3], ARGV[1])
        if redis.call('TTL', KEYS[3]) < 0 then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
        local lease = redis.call('TTL', KEYS[3])
        if redis.call('TTL', KEYS[2]) < lease then redis.call('EXPIRE', KEYS[2], lease) end
        return {'ok', tostring(total + 1)}
        """)

    private static let release = RedisScript(
        """
        local count = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
        if count <= 1 then
          redis.call('HDEL', KEYS[1], ARGV[2])
          redis.call('SREM', KEYS[2], ARGV[1])
          return 0
        end
        return redis.call('HINCRBY', KEYS[1], ARGV[2], -1)
        """)

    /// Replaces one edge's counts (`ARGV`: edge, TTL, then key/count pairs; `KEYS[1]`: the edge's key set): shared by the
    /// periodic sync and the exchange, which goes on to answer the other edges' counts.
    static let replaceEdgeCounts = """
        local edge, ttl = ARGV[1], tonumber(ARGV[2])
        local fresh = {}
        for i = 3, #ARGV, 2 do fresh[ARGV[i]] = tonumber(ARGV[i + 1]) end
        for _, ip in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if not fresh[ip] or fresh[ip] <= 0 then redis.call('HDEL', 'conn:' .. ip, edge) end
        end
        redis.call('DEL', KEYS[1])
        for ip, n in pairs(fresh) do
          local key = 'conn:' .. ip
          if n > 0 then
            redis.call('HSET', key, edge, n)
            redis.call('SADD', KEYS[1], ip)
            if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
          else
            redis.call('HDEL', key, edge)
          end
        end
        if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ttl) end
        """

    private static let sync = RedisScript(replaceEdgeCounts + "\nreturn 1")

    func admit(_ params: PolicyAdmit.Params) async throws -> PolicyDecision {
        let edge = try Self.validEdge(params.edgeID)
        let ip = IPAddress.key(params.ip)
        let reply = try await Self.admit.run(
            redis,
            keys: [Blocklist.reasonsKey, Self.countKey(ip), Self.leaseKey(edge)],
            arguments: [ip, edge, String(maxPerIP), String(defaultLeaseSeconds)]
        )
        let parts = reply.array?.compactMap(\.text) ?? []
        switch parts.first {
        case "ok":
            return .allow
        case "blocked":
            let reason = parts.count > 1 ? parts[1] : ""
            return PolicyDecision(allowed: false, code: "ip_blocked", message: "connections from \(ip) are blocked: \(reason)")
        case "full":
            return PolicyDecision(
                allowed: false, code: "too_many_connections",
                message: "\(ip) already has \(parts.count > 1 ? parts[1] : String(maxPerIP)) connections (limit \(maxPerIP))",
                retryAfterSeconds: Self.retryAfterSeconds)
        default:
            throw RPCError(code: RPCError.internalCode, message: "unexpected admission reply \(reply)")
        }
    }

    func release(_ params: PolicyRelease.Params) async throws {
        let edge = try Self.validEdge(params.edgeID)
        let ip = IPAddress.key(params.ip)
        _ = try await Self.release.run(redis, keys: [Self.countKey(ip), Self.leaseKey(edge)], arguments: [ip, edge])
    }

    func sync(_ params: PolicyEdgeSync.Params) async throws {
        let edge = try Self.validEdge(params.edgeID)
        guard params.ttlSeconds >= 1 else { throw RPCError.badRequest("ttlSeconds must be at least 1") }
        var merged: [String: Int] = [:]
        for (ip, count) in params.connectionsByIP { merged[IPAddress.key(ip), default: 0] += max(0, count) }
        var arguments = [edge, String(params.ttlSeconds)]
        for (ip, count) in merged { arguments += [ip, String(count)] }
        _ = try await Self.sync.run(redis, keys: [Self.leaseKey(edge)], arguments: arguments)
    }

    static func validEdge(_ edgeID: String) throws(RPCError) -> String {
        guard !edgeID.isEmpty, edgeID.utf8.count <= maxEdgeIDLength else {
            throw RPCError.badRequest("edgeID must be 1 to \(maxEdgeIDLength) bytes")
        }
        return edgeID
    }
}
