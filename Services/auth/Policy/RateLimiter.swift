import Redis
import SwitchboardProtocol

/// Token buckets in Redis, one per (kind, subject): `rate:{kind}:{subject}` hash (`tokens`, `ts` in ms) with a TTL of one
/// full refill, so idle buckets disappear.
///
/// The refill, the take and the write are one Lua script using Redis' own clock (`TIME`), so every edge and every auth
/// instance share one bucket per user and clocks of different hosts never disagree about it.
struct RateLimiter: Sendable {
    /// A refill rate and a capacity.
    struct Bucket: Sendable {
        let perSecond: Double
        let burst: Double

        static func perMinute(_ count: Double) -> Bucket { Bucket(perSecond: count / 60, burst: count) }
    }

    let redis: RedisClient
    let buckets: [String: Bucket]
    static let maxSubjectLength = 200
    /// Login attempts per client IP (HTTP only; present when `SWITCHBOARD_LOGIN_RATE_PER_MIN` is above 0).
    static let loginKind = "login"
    /// Registrations per client IP (HTTP only; present when `SWITCHBOARD_REGISTER_RATE_PER_MIN` is above 0).
    static let registerKind = "register"

    static func key(kind: String, subject: String) -> String { "rate:\(kind):\(subject)" }

    private static let take = RedisScript(
        """
        local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(b[1]) or burst
        local ts = tonumber(b[2]) or now
        if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end
        local allowed, wait = 0, 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          wait = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return {allowed, wait}
        """)

    /// Takes one token for `subject` from the bucket of `kind`; refused with `rate_limited` and when to retry.
    func check(subject: String, kind: String) async throws -> PolicyDecision {
        guard let bucket = buckets[kind] else {
            throw RPCError.badRequest("unknown rate kind \(kind); expected one of \(buckets.keys.sorted().joined(separator: ", "))")
        }
        guard !subject.isEmpty, subject.utf8.count <= Self.maxSubjectLength else {
            throw RPCError.badRequest("subject must be 1 to \(Self.maxSubjectLength) bytes")
        }
        let reply = try await Self.take.run(
            redis, keys: [Self.key(kind: kind, subject: subject)], arguments: [String(bucket.perSecond), String(bucket.burst)])
        guard let parts = reply.array, parts.count == 2, let allowed = parts[0].int, let waitMs = parts[1].int else {
            throw RPCError(code: RPCError.internalCode, message: "unexpected rate reply \(reply)")
        }
        if allowed == 1 { return .allow }
        let retryAfter = max(1, (waitMs + 999) / 1000)
        return PolicyDecision(
            allowed: false, code: "rate_limited", message: "too many \(kind) requests; retry in \(retryAfter) s", retryAfterSeconds: retryAfter)
    }
}
