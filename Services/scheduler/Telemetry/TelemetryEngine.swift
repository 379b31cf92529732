import Bus
import Foundation
import Logging
import Redis
import ServiceLifecycle
import SwitchboardProtocol

/// Polls every wanted group (and watched rule) at its interval and publishes one `data_batch` per group per tick.
///
/// All groups due on a tick are read with one pipelined round trip, each key once however many groups share it.
struct TelemetryEngine: Service {
    let groups: GroupTable
    let redis: RedisClient
    let publisher: EventPublisher
    /// Only the lease holder reads and publishes; standby instances keep the schedule so they can take over at once.
    let lease: SchedulerLease
    /// Which sources and data types may be read (`SWITCHBOARD_TELEMETRY_SOURCES`).
    let sources: TelemetrySources
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

    func tick(_ due: [Poll]) async throws {
        guard lease.isActive else { return }
        var telemetry: [TelemetryGroup] = []
        var watches: [RuleWatch] = []
        for poll in due {
            switch poll {
            case .telemetry(let group) where sources.admits(group): telemetry.append(group)
            case .telemetry: continue  // a topic naming an unconfigured source or type is never polled
            case .rule(let watch): watches.append(watch)
            }
        }
        var keys: [String] = []
        var seen = Set<String>()
        for group in telemetry {
            for key in group.keys where seen.insert(key).inserted { keys.append(key) }
        }
        guard !keys.isEmpty || !watches.isEmpty else { return }
        // One round trip for everything due: the groups' hashes, then the rules' execution state.
        let replies = try await redis.pipeline(keys.map { ["HGETALL", $0] } + watches.map { ["HGETALL", $0.key] })
        guard replies.count == keys.count + watches.count else { return }
        var values: [String: [UInt8]] = [:]
        for (key, reply) in zip(keys, replies) {
            if let rendered = TelemetryFrames.renderValues(reply) { values[key] = rendered }
        }
        let now = Date()
        guard lease.isActive else { return }  // the lease may have run out during the read
        for group in telemetry {
            publisher.publish(topic: group.topic, payload: TelemetryFrames.dataBatch(for: group, values: values, now: now))
        }
        for (watch, reply) in zip(watches, replies.dropFirst(keys.count)) {
            if let frame = RuleFrames.dataBatch(rule: watch.rule, reply: reply, now: now) { publisher.publish(topic: watch.topic, payload: frame) }
        }
    }
}
