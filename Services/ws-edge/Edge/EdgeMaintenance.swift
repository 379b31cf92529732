import Bus
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardProtocol

/// The edge's periodic duties: re-send its connection counts to auth (they expire if the edge dies) and re-load its
/// copy of the policy, send the protocol's `heartbeat` frame to every client, and report its status to the scheduler
/// for `/websocket/status`.
struct EdgeMaintenance: Service {
    let edgeID: String
    let registry: ConnectionRegistry
    let backends: Backends
    let policy: PolicyLoader
    let logger: Logger
    let syncInterval: Duration
    let heartbeatInterval: Duration

    func run() async throws {
        var lastSync = ContinuousClock.now - syncInterval
        var lastHeartbeat = ContinuousClock.now
        var lastStatus = ContinuousClock.now - .seconds(5)
        var lastPolicyAttempt = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = ContinuousClock.now
            if now - lastSync >= syncInterval {
                lastSync = now
                await policy.reload()
                await syncCounts()
            } else if !policy.policy.isLoaded, now - lastPolicyAttempt >= .seconds(1) {
                // Until the first snapshot arrives (auth down when the edge started) the local blocklist is empty:
                // ask every second rather than every sync interval.
                lastPolicyAttempt = now
                await policy.reload()
            }
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
        _ = try? await backends.client(.scheduler).call(EdgeStatusLeave.self, .init(edgeID: edgeID), timeout: .seconds(1))
    }

    private func syncCounts() async {
        let ttl = Int((syncInterval.seconds * 3).rounded(.up))
        do {
            _ = try await backends.client(.auth).call(
                PolicyEdgeSync.self,
                .init(edgeID: edgeID, connectionsByIP: registry.countsByIP, ttlSeconds: ttl),
                timeout: .seconds(2)
            )
        } catch {
            logger.debug("connection count sync with auth failed: \(error)")
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
