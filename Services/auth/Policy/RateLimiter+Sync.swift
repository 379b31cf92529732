import Redis
import SwitchboardProtocol

/// `auth.rate.sync`: the edges' batched use of the `message` buckets, so an edge never asks per frame.
///
/// An edge admits messages from its own local bucket and reports, every sync period, how many it let through per
/// subject. Here all of them are taken from the shared buckets (`rate:message:{subject}`, the same hash `check` uses) in
/// one script call with Redis' clock, and each bucket's balance goes back as that edge's allowance until its next sync.
/// A balance may go below zero: what several edges let through at once before they heard of each other is paid back by
/// the refill instead of being forgiven (the floor of 1000 bursts only guards the arithmetic; edges stop admitting at
/// a balance below one, so real debts stay within one burst per edge).
extension RateLimiter {
    static let messageKind = "message"

    private static let spend = RedisScript(
        """
        local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local out = {}
        for i = 1, #KEYS do
          local used = tonumber(ARGV[i + 2]) or 0
          local b = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
          local tokens = tonumber(b[1]) or burst
          local ts = tonumber(b[2]) or now
          if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end
          if used > 0 then tokens = math.max(-1000 * burst, tokens - used) end
          if used > 0 or b[1] then
            redis.call('HSET', KEYS[i], 'tokens', tostring(tokens), 'ts', tostring(now))
            redis.call('PEXPIRE', KEYS[i], math.ceil((burst - tokens) * 1000 / rate) + 1000)
          end
          out[i] = tostring(tokens)
        end
        return out
        """)

    /// Takes what the edge reports from each subject's bucket; answers every valid subject's balance. Subjects that are
    /// empty or too long are left out of the answer (the edge then keeps its local bucket for them).
    func sync(_ params: RateSync.Params) async throws -> RateSync.Result {
        guard let bucket = buckets[Self.messageKind] else {
            throw RPCError(code: RPCError.internalCode, message: "no message bucket configured")
        }
        guard params.used.count <= RateSync.maxSubjects else {
            throw RPCError.badRequest("at most \(RateSync.maxSubjects) subjects per sync (got \(params.used.count))")
        }
        var subjects: [String] = []
        var keys: [String] = []
        var arguments = [String(bucket.perSecond), String(bucket.burst)]
        subjects.reserveCapacity(params.used.count)
        keys.reserveCapacity(params.used.count)
        arguments.reserveCapacity(params.used.count + 2)
        for (subject, used) in params.used where !subject.isEmpty && subject.utf8.count <= Self.maxSubjectLength {
            subjects.append(subject)
            keys.append(Self.key(kind: Self.messageKind, subject: subject))
            // An edge's count is bounded by what it can admit; clamping keeps a corrupt report from wrecking a bucket.
            arguments.append(String(min(max(0, used), 1_000_000_000)))
        }
        var remaining: [String: Double] = [:]
        if !keys.isEmpty {
            let reply = try await Self.spend.run(redis, keys: keys, arguments: arguments)
            guard let values = reply.array, values.count == subjects.count else {
                throw RPCError(code: RPCError.internalCode, message: "unexpected rate sync reply")
            }
            remaining.reserveCapacity(subjects.count)
            for (subject, value) in zip(subjects, values) {
                if let tokens = value.text.flatMap(Double.init), tokens.isFinite { remaining[subject] = tokens }
            }
        }
        return RateSync.Result(remaining: remaining, perSecond: bucket.perSecond, burst: bucket.burst)
    }
}
