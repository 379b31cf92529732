import Foundation
import ServiceKit
import SwitchboardProtocol
import Synchronization

/// The per-subject message rate limit, decided on the event loop for every frame: a token bucket per user (per policy
/// key of the address for anonymous clients), kept global across edges by a batched sync with auth (`RateSync`).
///
/// Two modes per subject. While the subject's last sync answer is fresh, its tokens are the global balance auth sent
/// minus what this edge let through since, and nothing refills locally: the refill happens in the global bucket and
/// arrives with the next answer. When no fresh answer exists (a new subject, or auth unreachable), the bucket refills
/// locally at the configured rate up to the burst, so the limit holds on this edge alone and is never off.
///
/// One lock, a dictionary look-up and a few float operations per frame; nothing is allocated for a known subject.
final class MessageRateLimiter: Sendable {
    /// Who a bucket belongs to. Built from strings the connection already holds, so it costs no allocation.
    enum Subject: Hashable, Sendable {
        case user(String)
        case address(String)

        /// The subject as auth names its bucket: `user:<name>` or `ip:<policy key>`.
        var wireName: String {
            switch self {
            case .user(let name): "user:\(name)"
            case .address(let key): "ip:\(key)"
            }
        }
    }

    private struct Bucket {
        var tokens: Double
        /// When `tokens` was last refilled locally, or set from a sync answer (monotonic ns).
        var stamp: UInt64
        /// Admitted since the last report was taken.
        var used = 0
        /// When the last sync answer arrived (0: never).
        var syncedAt: UInt64 = 0
        var lastUse: UInt64

        init(tokens: Double, now: UInt64) {
            self.tokens = tokens
            stamp = now
            lastUse = now
        }

        mutating func refillLocally(now: UInt64, perSecond: Double, burst: Double, freshFor: UInt64) {
            if syncedAt != 0, now &- syncedAt < freshFor { return }
            if now > stamp {
                tokens = min(burst, tokens + Double(now - stamp) * perSecond / 1e9)
                stamp = now
            }
        }

        /// Takes a token: nil when taken, else how many tokens are missing for one.
        mutating func take(now: UInt64, perSecond: Double, burst: Double, freshFor: UInt64) -> Double? {
            refillLocally(now: now, perSecond: perSecond, burst: burst, freshFor: freshFor)
            lastUse = now
            guard tokens >= 1 else { return 1 - tokens }
            tokens -= 1
            used += 1
            return nil
        }
    }

    private struct State {
        var perSecond: Double
        var burst: Double
        var buckets: [Subject: Bucket] = [:]
        /// Address → policy key, so an IPv6 client's key (its /64) is computed once, not per frame.
        var addressKeys: [String: String] = [:]
    }

    static let maxAddressKeys = 65_536
    /// A full bucket unused this long is forgotten (it would start full again anyway).
    static let idleForgetNanos: UInt64 = 60_000_000_000

    private let state: Mutex<State>
    /// How long a sync answer governs a subject before the local refill takes over again.
    let freshForNanos: UInt64

    init(perSecond: Double, burst: Double, syncInterval: Duration) {
        state = Mutex(State(perSecond: Self.validRate(perSecond) ?? 20, burst: Self.validBurst(burst) ?? 40))
        freshForNanos = max(1_000_000_000, UInt64(syncInterval.seconds * 4e9))
    }

    var settings: (perSecond: Double, burst: Double) { state.withLock { ($0.perSecond, $0.burst) } }

    /// The subject of a connection: its user, or its address for anonymous clients (also those given the anonymous role).
    func subject(of connection: Connection) -> Subject {
        if let principal = connection.principal, principal.user != AnonymousRole.userName { return .user(principal.user) }
        return .address(addressKey(connection.ip))
    }

    private func addressKey(_ ip: String) -> String {
        if let known = state.withLock({ $0.addressKeys[ip] }) { return known }
        let key = IPAddress.key(ip)
        state.withLock { state in
            if state.addressKeys.count >= Self.maxAddressKeys { state.addressKeys.removeAll(keepingCapacity: true) }
            state.addressKeys[ip] = key
        }
        return key
    }

    /// Takes one token for `connection`'s subject: nil when the message may pass, else the seconds until it can.
    func admit(_ connection: Connection) -> Int? {
        admit(subject(of: connection), now: Self.now())
    }

    func admit(_ subject: Subject, now: UInt64) -> Int? {
        let freshFor = freshForNanos
        let (shortfall, perSecond): (Double?, Double) = state.withLock { state in
            let perSecond = state.perSecond
            let burst = state.burst
            let missing = state.buckets[subject, default: Bucket(tokens: burst, now: now)].take(
                now: now, perSecond: perSecond, burst: burst, freshFor: freshFor)
            return (missing, perSecond)
        }
        guard let shortfall else { return nil }
        return Int(min(86_400, max(1, (shortfall / perSecond).rounded(.up))))
    }

    /// One pending report: the subjects to send, by wire name, with what each used since the previous report.
    struct Report: Sendable {
        var used: [String: Int] = [:]
        var subjects: [(wire: String, subject: Subject)] = []
    }

    /// Collects what to report (every subject that used tokens or is below its burst, at most `RateSync.maxSubjects`)
    /// and resets the used counts; forgets idle full buckets on the way.
    func takeReport(now: UInt64 = MessageRateLimiter.now()) -> Report {
        let freshFor = freshForNanos
        return state.withLock { state in
            var report = Report()
            var idle: [Subject] = []
            let perSecond = state.perSecond
            let burst = state.burst
            // Mutating through `values[index]` keeps the walk in place (no copy of the dictionary).
            var index = state.buckets.startIndex
            while index != state.buckets.endIndex, report.subjects.count < RateSync.maxSubjects {
                defer { state.buckets.formIndex(after: &index) }
                let subject = state.buckets.keys[index]
                state.buckets.values[index].refillLocally(now: now, perSecond: perSecond, burst: burst, freshFor: freshFor)
                let bucket = state.buckets.values[index]
                if bucket.used == 0, bucket.tokens >= burst {
                    if now &- bucket.lastUse > Self.idleForgetNanos { idle.append(subject) }
                    continue
                }
                let wire = subject.wireName
                report.used[wire] = bucket.used
                report.subjects.append((wire, subject))
                state.buckets.values[index].used = 0
            }
            for subject in idle { state.buckets.removeValue(forKey: subject) }
            return report
        }
    }

    /// Applies auth's answer to a report: each subject's allowance is its global balance minus what this edge let
    /// through while the answer was on its way (that use is in the next report).
    func apply(_ result: RateSync.Result, for report: Report, now: UInt64 = MessageRateLimiter.now()) {
        state.withLock { state in
            if let rate = Self.validRate(result.perSecond) { state.perSecond = rate }
            if let burst = Self.validBurst(result.burst) { state.burst = burst }
            let burst = state.burst
            for (wire, subject) in report.subjects {
                guard let remaining = result.remaining[wire], remaining.isFinite, let index = state.buckets.index(forKey: subject) else {
                    continue
                }
                let sinceReport = Double(state.buckets.values[index].used)
                state.buckets.values[index].tokens = min(burst, max(-1000 * burst, remaining) - sinceReport)
                state.buckets.values[index].stamp = now
                state.buckets.values[index].syncedAt = now
            }
        }
    }

    var subjectCount: Int { state.withLock { $0.buckets.count } }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private static func validRate(_ value: Double) -> Double? { value.isFinite && value > 0 ? value : nil }
    private static func validBurst(_ value: Double) -> Double? { value.isFinite && value >= 1 ? value : nil }
}
