import Foundation
import SwitchboardProtocol
import Synchronization

/// The subscription groups somebody wants right now, with when each is next due.
///
/// Filled only from XPUB notices: first subscriber in, last subscriber out. Due times are aligned to multiples of the
/// interval, so groups with the same interval tick together and share their Redis reads.
final class GroupTable: Sendable {
    struct Entry: Sendable {
        let group: TelemetryGroup
        var nextDueMs: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Topics that are not groups (rooms, users, alarms) are counted for health.
    private let otherTopics = Mutex<Set<String>>([])

    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func subscribed(_ topic: String) {
        guard let group = TelemetryGroup(topic: topic) else {
            _ = otherTopics.withLock { $0.insert(topic) }
            return
        }
        let interval = Int64(group.intervalMs)
        let next = (Self.nowMs / interval + 1) * interval
        entries.withLock { $0[topic] = $0[topic] ?? Entry(group: group, nextDueMs: next) }
    }

    func unsubscribed(_ topic: String) {
        if entries.withLock({ $0.removeValue(forKey: topic) }) == nil {
            _ = otherTopics.withLock { $0.remove(topic) }
        }
    }

    /// The groups due at `now`, each moved to its next aligned due time (skipping ticks it fell behind on).
    func takeDue(now: Int64) -> [TelemetryGroup] {
        entries.withLock { entries in
            var due: [TelemetryGroup] = []
            for (topic, entry) in entries where entry.nextDueMs <= now {
                let interval = Int64(entry.group.intervalMs)
                var next = entry.nextDueMs + interval
                if next <= now { next = (now / interval + 1) * interval }
                entries[topic]?.nextDueMs = next
                due.append(entry.group)
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
