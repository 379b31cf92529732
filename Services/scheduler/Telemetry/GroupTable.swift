import Foundation
import SwitchboardProtocol
import Synchronization

/// What the scheduler polls for one topic: a telemetry group's hashes, or one rule's execution state.
enum Poll: Sendable, Hashable {
    case telemetry(TelemetryGroup)
    case rule(RuleWatch)

    init?(topic: String) {
        if let group = TelemetryGroup(topic: topic) {
            self = .telemetry(group)
        } else if let watch = RuleWatch(topic: topic) {
            self = .rule(watch)
        } else {
            return nil
        }
    }

    var intervalMs: Int {
        switch self {
        case .telemetry(let group): group.intervalMs
        case .rule(let watch): watch.intervalMs
        }
    }

    var topic: String {
        switch self {
        case .telemetry(let group): group.topic
        case .rule(let watch): watch.topic
        }
    }
}

/// The subscription groups (and watched rules) somebody wants right now, with when each is next due.
///
/// Filled only from XPUB notices: first subscriber in, last subscriber out. Due times are aligned to multiples of the
/// interval, so groups with the same interval tick together and share their Redis reads.
final class GroupTable: Sendable {
    struct Entry: Sendable {
        let poll: Poll
        var nextDueMs: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Topics that are not polled (rooms, users, alarms) are counted for health.
    private let otherTopics = Mutex<Set<String>>([])

    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func subscribed(_ topic: String) {
        guard let poll = Poll(topic: topic) else {
            _ = otherTopics.withLock { $0.insert(topic) }
            return
        }
        let interval = Int64(poll.intervalMs)
        let next = (Self.nowMs / interval + 1) * interval
        entries.withLock { $0[topic] = $0[topic] ?? Entry(poll: poll, nextDueMs: next) }
    }

    func unsubscribed(_ topic: String) {
        if entries.withLock({ $0.removeValue(forKey: topic) }) == nil {
            _ = otherTopics.withLock { $0.remove(topic) }
        }
    }

    /// The polls due at `now`, each moved to its next aligned due time (skipping ticks it fell behind on).
    func takeDue(now: Int64) -> [Poll] {
        entries.withLock { entries in
            var due: [Poll] = []
            for (topic, entry) in entries where entry.nextDueMs <= now {
                let interval = Int64(entry.poll.intervalMs)
                var next = entry.nextDueMs + interval
                if next <= now { next = (now / interval + 1) * interval }
                entries[topic]?.nextDueMs = next
                due.append(entry.poll)
            }
            return due
        }
    }

    /// Milliseconds until the earliest group is due, or nil when there are none.
    func millisecondsUntilNextDue(now: Int64) -> Int64? {
        entries.withLock { entries in entries.values.map(\.nextDueMs).min().map { max(0, $0 - now) } }
    }

    var groupCount: Int { entries.withLock { $0.count } }
    var topicCount: Int { groupCount + otherTopics.withLock { $0.count } }
}
