import Bus
import Logging
import ServiceKit
import SwitchboardProtocol
import Synchronization

/// Connection policy (priority 100): the per-IP connection limit, global across edges, decided here without a call to
/// auth. (Blocked IPs are refused before any hook, from the edge's local copy of the blocklist: `WebSocketRoutes.decide`,
/// `LocalPolicy`.)
///
/// `ConnectionAdmission` holds this edge's counts and the other edges' counts from the last exchange with auth
/// (`EdgeMaintenance`, every second), so an upgrade costs a lock, not a round trip. When auth is unreachable the
/// other edges' last known counts still count for a while, then only this edge's own; never unlimited, and a warning
/// says so.
struct PolicyHook: Hook {
    let name = "auth-policy"
    let priority = HookPriority.auth
    let auth: RPCClient
    let policy: LocalPolicy
    let admission: ConnectionAdmission
    /// An exchange older than this means auth is not keeping the counts global right now.
    let staleAfter: Double
    let logger: Logger
    private let warnings = OncePerSecond()

    init(auth: RPCClient, policy: LocalPolicy, admission: ConnectionAdmission, exchangeInterval: Duration, logger: Logger) {
        self.auth = auth
        self.policy = policy
        self.admission = admission
        self.staleAfter = max(3, exchangeInterval.seconds * 3)
        self.logger = logger
    }

    func beforeConnect(_ attempt: ConnectionAttempt) -> HookDecision {
        let limit = policy.maxConnectionsPerIP
        let key = IPAddress.key(attempt.ip)
        let decision = admission.admit(key, limit: limit)
        warnIfAlone(decision, limit: limit)
        guard !decision.allowed else { return .proceed }
        let scope = decision.others > 0 ? "on all edges" : "on this edge"
        return .reject(
            status: 429,
            code: "too_many_connections",
            message: "\(attempt.ip) already has \(decision.local + decision.others) connections \(scope) (limit \(limit))",
            retryAfterSeconds: 5
        )
    }

    func afterConnect(_ connection: Connection) async {
        admission.opened(connection.id, key: IPAddress.key(connection.ip))
    }

    func onDisconnect(_ connection: Connection) async {
        admission.closed(connection.id)
    }

    /// At most one warning a second while the counts are not being exchanged with auth.
    private func warnIfAlone(_ decision: ConnectionAdmission.Decision, limit: Int) {
        let age = admission.secondsSinceExchange()
        guard !auth.isConnected || age.map({ $0 > staleAfter }) ?? true else { return }
        guard warnings.allow() else { return }
        let since = age.map { "last exchange \(Int($0)) s ago" } ?? "no exchange yet"
        logger.warning(
            "auth is not answering count exchanges (\(since)); per-IP limit from this edge's count: \(decision.local) of \(limit), plus \(decision.others) last known on other edges"
        )
    }
}

/// Per-user (or per-IP policy key for anonymous) message rate limit (priority 80), decided on the event loop from the
/// edge's local token buckets (`MessageRateLimiter`), which `EdgeMaintenance` keeps global with one batched sync per
/// period. No call to auth per frame; with auth down the local buckets keep limiting at the configured rate.
struct RateLimitHook: Hook {
    let name = "rate-limit"
    let priority = HookPriority.rateLimit
    let limiter: MessageRateLimiter

    func beforeMessage(_ message: ClientMessage, on connection: Connection) -> HookDecision {
        guard let retryAfter = limiter.admit(connection) else { return .proceed }
        return .reject(
            status: 429,
            code: ErrorCode.rateLimited.rawValue,
            message: "too many messages; retry in \(retryAfter) s",
            retryAfterSeconds: retryAfter
        )
    }
}

/// Lets one caller through per second (for warnings that would otherwise repeat per upgrade).
final class OncePerSecond: Sendable {
    private let last = Atomic<UInt64>(0)

    func allow(now: UInt64 = MessageRateLimiter.now()) -> Bool {
        let previous = last.load(ordering: .relaxed)
        guard previous == 0 || now &- previous > 1_000_000_000 else { return false }
        return last.compareExchange(expected: previous, desired: now, ordering: .relaxed).exchanged
    }
}
