import Bus
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardProtocol

/// The edge's periodic duties: exchange connection counts with auth (every `countInterval`: this edge's counts out, so
/// they expire if the edge dies; the other edges' counts in, for local admission), sync the message buckets (every
/// `rateInterval`), re-load its copy of the policy, unsubscribe topics that have had no member for a while
/// (`TopicMembers.releaseIdle`), send the protocol's `heartbeat` frame to every client, and report
/// its status to the scheduler for `/websocket/status`.
///
/// The two syncs run in loops of their own, so a slow call to auth or the scheduler never delays them.
struct EdgeMaintenance: Service {
    let edgeID: String
    let registry: ConnectionRegistry
    let backends: Backends
    let policy: PolicyLoader
    let admission: ConnectionAdmission
    let rates: MessageRateLimiter
    let logger: Logger
    let syncInterval: Duration
    let countInterval: Duration
    let rateInterval: Duration
    let heartbeatInterval: Duration

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await every(countInterval) { await exchangeCounts() } }
            group.addTask { await every(rateInterval) { await syncRates() } }
            await duties()
            group.cancelAll()
        }
        _ = try? await backends.client(.scheduler).call(EdgeStatusLeave.self, .init(edgeID: edgeID), timeout: .seconds(1))
    }

    private func every(_ interval: Duration, _ body: () async -> Void) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let started = ContinuousClock.now
            await body()
            try? await Task.sleep(until: started + interval, clock: .continuous)
        }
    }

    private func duties() async {
        var lastSync = ContinuousClock.now - syncInterval
        var lastHeartbeat = ContinuousClock.now
        var lastStatus = ContinuousClock.now - .seconds(5)
        var lastPolicyAttempt = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = ContinuousClock.now
            if now - lastSync >= syncInterval {
                lastSync = now
                await policy.reload()
            } else if !policy.policy.isLoaded, now - lastPolicyAttempt >= .seconds(1) {
                // Until the first snapshot arrives (auth down when the edge started) the local blocklist is empty:
                // ask every second rather than every sync interval.
                lastPolicyAttempt = now
                await policy.reload()
            }
            registry.members.releaseIdle(now: now)
            if now - lastHeartbeat >= heartbeatInterval {
                lastHeartbeat = now
                sendHeartbeat()
            }
            if now - lastStatus >= .seconds(5) {
                lastStatus = now
                await reportStatus()
                EdgeCounters.shared.flush()
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// This edge's counts out, the other edges' in; the lease outlives three missed exchanges (at least 3 s).
    private func exchangeCounts() async {
        let ttl = max(3, Int((countInterval.seconds * 3).rounded(.up)))
        do {
            let answer = try await backends.client(.auth).call(
                PolicyCountsExchange.self,
                .init(edgeID: edgeID, connectionsByKey: admission.counts(), ttlSeconds: ttl),
                timeout: max(.milliseconds(500), countInterval)
            )
            admission.othersArrived(answer.othersByKey)
            policy.policy.setMaxConnectionsPerIP(answer.maxConnectionsPerIP)
        } catch {
            logger.debug("connection count exchange with auth failed: \(error)")
        }
    }

    /// What the local buckets let through, out; each subject's global balance, in. Nothing to report: no call.
    private func syncRates() async {
        let report = rates.takeReport()
        guard !report.subjects.isEmpty else { return }
        do {
            let answer = try await backends.client(.auth).call(
                RateSync.self, .init(edgeID: edgeID, used: report.used), timeout: max(.milliseconds(500), rateInterval * 2))
            rates.apply(answer, for: report)
        } catch {
            // The reported use is dropped: while auth is away each edge limits on its own (see `MessageRateLimiter`).
            logger.debug("message rate sync with auth failed: \(error)")
        }
    }

    private struct Heartbeat: Encodable {
        let serverTime: Int64
        enum CodingKeys: String, CodingKey { case serverTime = "server_time" }
    }

    private func sendHeartbeat() {
        let frame = EdgeFrame.make("heartbeat", id: ServerFrame.uniqueID("hb"), data: Heartbeat(serverTime: ServerFrame.now))
        for connection in registry.all { connection.send(frame) }
    }

    /// A scheduler that is down misses a report; the next one, 5 s later, catches up.
    private func reportStatus() async {
        let status = EdgeStatus.current(edgeID: edgeID, registry: registry)
        do {
            _ = try await backends.client(.scheduler).call(EdgeStatusReport.self, status, timeout: .seconds(2))
        } catch {
            logger.debug("status report to the scheduler failed: \(error)")
        }
    }
}
