import Synchronization

/// A token bucket per client IP in front of `/getCode`, so one caller cannot fill the upstream queue for everyone.
///
/// It lives in the signer because the signer owns the queue it protects; the edge forwards the client address with every
/// request (`ForwardedRequest.clientIP`) and keeps no business rules. One signer process serves every edge, so an
/// in-memory table is the whole truth. Buckets that have refilled completely are the same as absent ones and are pruned
/// once the table grows past `maxTracked`, so a flood of distinct addresses cannot grow it without bound.
final class GetCodeRateLimit: Sendable {
    /// What a caller is told when refused.
    struct Refusal: Sendable, Equatable {
        let retryAfterSeconds: Int
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perSecond: Double
    let burst: Double
    let maxTracked: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perSecond: Double, burst: Double, maxTracked: Int = 100_000) {
        self.perSecond = perSecond
        self.burst = burst
        self.maxTracked = maxTracked
    }

    var isEnabled: Bool { perSecond > 0 }

    /// Takes one token for `clientIP`; nil when the request may go on.
    func take(_ clientIP: String, now: ContinuousClock.Instant = .now) -> Refusal? {
        guard isEnabled else { return nil }
        // An address is at most 45 characters (IPv6 with an IPv4 tail); anything longer is keyed by its start.
        let clientIP = String(clientIP.utf8.count > 64 ? clientIP.prefix(64) : Substring(clientIP))
        return buckets.withLock { buckets in
            if buckets.count >= maxTracked && buckets[clientIP] == nil { prune(&buckets, now: now) }
            var bucket = buckets[clientIP] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[clientIP] = bucket
                return nil
            }
            buckets[clientIP] = bucket
            let wait = min(86_400, ((1 - bucket.tokens) / perSecond).rounded(.up))
            return Refusal(retryAfterSeconds: max(1, Int(wait)))
        }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let (seconds, attoseconds) = bucket.updated.duration(to: now).components
        let elapsed = max(0, Double(seconds) + Double(attoseconds) / 1e18)
        return min(burst, bucket.tokens + elapsed * perSecond)
    }

    /// Drops the buckets that are full again; when that frees less than a quarter of the table, it starts over rather
    /// than grows (those callers get a fresh burst, which is the price of a bound). Either way the next prune is at least
    /// a quarter of the table away, so a stream of new addresses costs O(1) per request on average.
    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { refilled($0.value, now: now) < burst }
        if buckets.count > maxTracked * 3 / 4 { buckets.removeAll() }
    }
}
