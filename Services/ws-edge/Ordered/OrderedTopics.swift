import Foundation
import ServiceKit
import SwitchboardProtocol
import Synchronization

/// Every ordered topic (room) that has members on this edge, and the edge's periodic presence and session renewal.
///
/// A topic is followed while it has local members: its events go to its `OrderedTopic` (with their heads) instead of
/// plain fan-out. Which connection is in which room is the scheduler's decision (`ClientCommandReply.ordered`); this
/// only delivers.
final class OrderedTopics: Sendable {
    private struct State {
        var topics: [String: OrderedTopic] = [:]
        /// Connection id → the ordered topics it is in.
        var memberships: [String: Set<String>] = [:]
        var maintenance: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Makes the connection a member of `topic` and delivers it everything after `after`, in order.
    func attach(_ connection: Connection, topic: String, after: StreamID, context: EdgeContext) async {
        guard let room = RoomName.room(ofTopic: topic) else {
            context.logger.warning("ignoring ordered topic \(topic.prefix(80)): only rooms are ordered")
            return
        }
        let channel = state.withLock { state -> OrderedTopic? in
            let channel: OrderedTopic
            if let existing = state.topics[topic] {
                channel = existing
            } else {
                channel = OrderedTopic(topic: topic, room: room, context: context)
                state.topics[topic] = channel
                // Under the lock, so a follow and an unfollow of one topic reach the SUB socket in order.
                context.registry.handleEdgeEvents(topic) { _, payload, head in channel.dispatch(payload: payload, head: head) }
            }
            guard channel.add(connection) else { return nil }
            state.memberships[connection.id, default: []].insert(topic)
            return channel
        }
        await channel?.activate(connection, after: after)
    }

    /// Takes the connection out of `topic` on this edge; false when it was not a member.
    @discardableResult
    func detach(_ connection: Connection, topic: String, context: EdgeContext) -> Bool {
        state.withLock { state in
            guard state.memberships[connection.id]?.remove(topic) != nil else { return false }
            if state.memberships[connection.id]?.isEmpty == true { state.memberships.removeValue(forKey: connection.id) }
            if let channel = state.topics[topic], channel.remove(connection) == 0 {
                state.topics.removeValue(forKey: topic)
                context.registry.stopEdgeEvents(topic)
            }
            return true
        }
    }

    /// Takes a closing connection out of every ordered topic.
    func detachAll(_ connection: Connection, context: EdgeContext) {
        let topics = state.withLock { $0.memberships[connection.id] ?? [] }
        for topic in topics { detach(connection, topic: topic, context: context) }
    }

    /// The connections that are members of `topic` on this edge.
    func members(of topic: String) -> [Connection] {
        state.withLock { $0.topics[topic] }?.memberConnections ?? []
    }

    /// Room → user → connections on this edge.
    var presence: [String: [String: Int]] {
        let channels = state.withLock { Array($0.topics.values) }
        var result: [String: [String: Int]] = [:]
        for channel in channels {
            let counts = channel.userCounts
            if !counts.isEmpty { result[channel.room] = counts }
        }
        return result
    }

    /// Starts the periodic renewal once: the edge's room presence every third of its TTL
    /// (`SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS`), and the TTL of its sessions every third of theirs
    /// (`SWITCHBOARD_SESSION_TTL_SECONDS`).
    func startMaintenance(context: EdgeContext) {
        state.withLock { state in
            guard state.maintenance == nil else { return }
            let config = SwitchboardConfig()
            let presenceTTL = max(1, config.int("SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS", default: 30))
            let sessionTTL = max(1, config.int("SWITCHBOARD_SESSION_TTL_SECONDS", default: 86_400))
            state.maintenance = Task { await self.maintain(context: context, presenceTTL: presenceTTL, sessionTTL: sessionTTL) }
        }
    }

    private func maintain(context: EdgeContext, presenceTTL: Int, sessionTTL: Int) async {
        let presenceEvery = Duration.milliseconds(max(300, presenceTTL * 1000 / 3))
        let sessionEvery = Duration.milliseconds(max(300, sessionTTL * 1000 / 3))
        var lastSessions = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: presenceEvery)
            let sessionsDue = ContinuousClock.now - lastSessions >= sessionEvery
            let rooms = presence
            guard !rooms.isEmpty || sessionsDue else { continue }
            if sessionsDue { lastSessions = .now }
            do {
                _ = try await context.backends.client(.scheduler).call(
                    RoomPresenceSync.self,
                    .init(
                        edge: context.edgeID, rooms: rooms, ttlSeconds: presenceTTL,
                        sessions: sessionsDue ? context.registry.all.map(\.id) : nil),
                    timeout: .seconds(5)
                )
            } catch {
                context.logger.debug("room presence sync failed: \(error)")
            }
        }
    }
}
