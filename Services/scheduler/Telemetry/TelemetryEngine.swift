import Bus
import Foundation
import Logging
import Redis
import ServiceLifecycle
import SwitchboardProtocol

/// Polls every wanted group at its interval and publishes one `data_batch` per group per tick.
///
/// All groups due on a tick are read with one pipelined round trip, each key once however many groups share it.
struct TelemetryEngine: Service {
    let groups: GroupTable
    let redis: RedisClient
    let publisher: EventPublisher
    /// Only the lease holder reads and publishes; standby instances keep the schedule so they can take over at once.
    let lease: SchedulerLease
    let logger: Logger

    func run() async throws {
        var lastFailureLog = ContinuousClock.now - .seconds(60)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = GroupTable.nowMs
            let due = groups.takeDue(now: now)
            if due.isEmpty {
                let wait = min(groups.millisecondsUntilNextDue(now: now) ?? 20, 20)
                try? await Task.sleep(for: .milliseconds(max(1, wait)))
                continue
            }
            do {
                try await tick(due)
            } catch {
                if ContinuousClock.now - lastFailureLog > .seconds(10) {
                    lastFailureLog = .now
                    logger.warning("telemetry tick skipped: \(error)")
                }
            }
        }
    }

    func tick(_ due: [TelemetryGroup]) async throws {
        guard lease.isActive else { return }
        var keys: [String] = []
        var seen = Set<String>()
        for group in due {
            for key in group.keys where seen.insert(key).inserted { keys.append(key) }
        }
        let values = try await TelemetryFrames.read(keys, from: redis)
        let now = Date()
        guard lease.isActive else { return }  // the lease may have run out during the read
        for group in due {
            publisher.publish(topic: group.topic, payload: TelemetryFrames.dataBatch(for: group, values: values, now: now))
        }
    }
}
