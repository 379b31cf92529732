import Redis
import ServiceKit
import SwitchboardProtocol

/// `auth.policy.counts`: an edge's counts in, the other edges' counts out, so each edge admits by itself.
///
/// The write is `auth.policy.sync`'s (same `conn:{ip}` / `connlease:{edgeID}` layout, so `auth.policy.admit` still sees
/// these counts). Besides, every exchanging edge is listed in the sorted set `connedges` (edge → when its lease ends,
/// Redis seconds); the answer sums, per policy key, the counts of every other edge whose lease is live. An edge that
/// stops exchanging drops out of every answer when its lease ends, as its counts stop counting for admission.
extension ConnectionPolicy {
    static let edgesKey = "connedges"
    /// The most keys one exchange may carry (one per distinct client address on the edge).
    static let maxExchangeKeys = 100_000

    private static let exchange = RedisScript(
        replaceEdgeCounts + "\n"
            + """
            local now = tonumber(redis.call('TIME')[1])
            redis.call('ZADD', KEYS[2], now + ttl, edge)
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
            local sums = {}
            for _, other in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf')) do
              if other ~= edge then
                for _, ip in ipairs(redis.call('SMEMBERS', 'connlease:' .. other)) do
                  local n = tonumber(redis.call('HGET', 'conn:' .. ip, other) or '0') or 0
                  if n > 0 then sums[ip] = (sums[ip] or 0) + n end
                end
              end
            end
            local out = {}
            for ip, n in pairs(sums) do
              out[#out + 1] = ip
              out[#out + 1] = tostring(n)
            end
            return out
            """)

    func exchange(_ params: PolicyCountsExchange.Params) async throws -> PolicyCountsExchange.Result {
        let edge = try Self.validEdge(params.edgeID)
        guard params.ttlSeconds >= 1, params.ttlSeconds <= 3600 else { throw RPCError.badRequest("ttlSeconds must be 1 to 3600") }
        guard params.connectionsByKey.count <= Self.maxExchangeKeys else {
            throw RPCError.badRequest("at most \(Self.maxExchangeKeys) keys per exchange")
        }
        var merged: [String: Int] = [:]
        for (ip, count) in params.connectionsByKey {
            let key = IPAddress.key(ip)
            merged[key] = min(1_000_000, (merged[key] ?? 0) + min(max(0, count), 1_000_000))
        }
        var arguments = [edge, String(params.ttlSeconds)]
        arguments.reserveCapacity(2 + merged.count * 2)
        for (ip, count) in merged { arguments += [ip, String(count)] }
        let reply = try await Self.exchange.run(redis, keys: [Self.leaseKey(edge), Self.edgesKey], arguments: arguments)
        let fields = reply.array ?? []
        var others: [String: Int] = [:]
        for index in stride(from: 0, to: fields.count - 1, by: 2) {
            if let key = fields[index].text, let count = fields[index + 1].int, count > 0 { others[key] = count }
        }
        return PolicyCountsExchange.Result(othersByKey: others, maxConnectionsPerIP: maxPerIP)
    }
}
