import Foundation
import Logging
import Redis
import ServiceLifecycle
import Synchronization

/// Makes exactly one of several scheduler instances the active poller, through a lease in Redis.
///
/// Every instance answers RPCs, but telemetry polling and the alarm feed must run once, or edges would get every batch twice.
/// The lease is one key holding `token:epoch` with a TTL: free → `SET` with a new epoch (`INCR`), ours → `PEXPIRE`,
/// someone else's → stand by; all in one script, so two instances cannot both win. It is renewed every `renewEvery`, well
/// inside `ttl`. Fencing is local and conservative: an instance counts itself active only until the time it *sent* its
/// last successful renewal plus `ttl` minus `renewEvery`, which is before Redis can expire the key, so an instance that
/// was paused (GC, SIGSTOP, a stalled host) finds its lease stale on waking and stops before acting, and the epoch in the
/// logs and health tells the instances' turns apart.
final class SchedulerLease: Service, Sendable {
    struct State {
        var activeUntil: ContinuousClock.Instant?
        var epoch = 0
        /// What the log last said, so each change of role is logged once.
        var announcedActive = false
    }

    static let key = "scheduler:lease"
    static let epochKey = "scheduler:lease:epoch"

    private static let acquireOrRenew = RedisScript(
        """
        local holder = redis.call('GET', KEYS[1])
        if not holder then
          local epoch = redis.call('INCR', KEYS[2])
          redis.call('SET', KEYS[1], ARGV[1] .. ':' .. epoch, 'PX', ARGV[2])
          return epoch
        end
        local token, epoch = string.match(holder, '^(.*):(%d+)$')
        if token == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return tonumber(epoch)
        end
        return -tonumber(epoch or '0')
        """)

    private static let release = RedisScript(
        """
        local holder = redis.call('GET', KEYS[1])
        if holder and string.match(holder, '^(.*):%d+$') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    let redis: RedisClient
    let token: String
    let ttl: Duration
    let renewEvery: Duration
    let logger: Logger
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    init(redis: RedisClient, ttl: Duration, renewEvery: Duration, logger: Logger) {
        self.redis = redis
        self.token = UUID().uuidString
        // Hostile settings (0, negative) would spin or never hold the lease: keep both in a sane range.
        let ttl = max(ttl, .milliseconds(200))
        self.ttl = ttl
        self.renewEvery = min(max(renewEvery, .milliseconds(20)), ttl / 2)
        self.logger = logger
    }

    /// Whether this instance may act as the poller right now; check it immediately before each act.
    var isActive: Bool {
        let now = clock.now
        return state.withLock { $0.activeUntil.map { now < $0 } ?? false }
    }

    /// The epoch of the lease this instance holds, or 0.
    var epoch: Int { isActive ? state.withLock { $0.epoch } : 0 }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await step()
            try? await Task.sleep(for: renewEvery)
        }
        if isActive {
            state.withLock { $0.activeUntil = nil }
            _ = try? await Self.release.run(redis, keys: [Self.key], arguments: [token])
            logger.info("scheduler lease released")
        }
    }

    /// One acquire-or-renew round, then a log line whenever this instance's role changed (also when the lease ran out
    /// silently because Redis could not be reached).
    func step() async {
        let sentAt = clock.now
        let milliseconds = String(Int((ttl.seconds * 1000).rounded()))
        do {
            let reply = try await Self.acquireOrRenew.run(redis, keys: [Self.key, Self.epochKey], arguments: [token, milliseconds]).int ?? 0
            state.withLock { state in
                if reply > 0 {
                    state.activeUntil = sentAt + ttl - renewEvery
                    state.epoch = reply
                } else {
                    state.activeUntil = nil
                    state.epoch = -reply
                }
            }
        } catch {
            // Redis unreachable: the lease runs out by itself (activeUntil), no guess either way.
            if isActive { logger.warning("scheduler lease not renewed: \(error)") }
        }
        let active = isActive
        let (changed, epoch) = state.withLock { state -> (Bool, Int) in
            defer { state.announcedActive = active }
            return (state.announcedActive != active, state.epoch)
        }
        guard changed else { return }
        if active {
            logger.info("scheduler is the active poller", metadata: ["epoch": "\(epoch)"])
        } else {
            logger.warning("scheduler lost the lease, standing by", metadata: ["holderEpoch": "\(epoch)"])
        }
    }

    /// `sys.health` details: which instance polls.
    var details: [String: String] {
        let active = isActive
        let epoch = state.withLock { $0.epoch }
        return ["lease": active ? "active" : "standby", "leaseEpoch": String(epoch)]
    }
}
