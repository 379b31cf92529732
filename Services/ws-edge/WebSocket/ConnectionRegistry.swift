import Bus
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceKit
import Synchronization

/// Who listens to which topic on this edge. Shared by the SUB socket's thread (fan-out) and the connection tasks.
///
/// A topic whose last member leaves stays subscribed for `linger` (`releaseIdle`, from the edge's maintenance loop):
/// a user who reconnects, or the next connection of the same user, joins without an unsubscribe and a subscribe on the
/// SUB socket and a first-subscriber notice on the scheduler's XPUB. Events that arrive meanwhile find no member and
/// are dropped.
final class TopicMembers: Sendable {
    private struct State {
        var members: [String: [ObjectIdentifier: Connection]] = [:]
        /// Subscribed topics without members, since when.
        var idle: [String: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())
    /// The SUB socket, set once at start. (Un)subscriptions are posted under the members lock, so they reach the socket
    /// in the same order as the first-join/last-leave changes that caused them.
    private let subscriber = Mutex<EventSubscriber?>(nil)
    let linger: Duration

    init(linger: Duration = .seconds(5)) {
        self.linger = linger
    }

    func attach(_ subscriber: EventSubscriber) {
        self.subscriber.withLock { $0 = subscriber }
    }

    func add(_ connection: Connection, to topic: String) {
        state.withLock { state in
            if state.members[topic] == nil, state.idle.removeValue(forKey: topic) == nil { subscriber.withLock { $0?.subscribe(topic) } }
            state.members[topic, default: [:]][ObjectIdentifier(connection)] = connection
        }
    }

    func remove(_ connection: Connection, from topic: String) {
        state.withLock { state in
            // In place: a copy of the topic's members (`var members = state.members[topic]`) would cost O(members).
            guard state.members[topic]?.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
            if state.members[topic]?.isEmpty == true {
                state.members.removeValue(forKey: topic)
                if linger > .zero {
                    state.idle[topic] = .now
                } else {
                    subscriber.withLock { $0?.unsubscribe(topic) }
                }
            }
        }
    }

    /// Unsubscribes the topics that have had no member for `linger`; returns how many.
    @discardableResult
    func releaseIdle(now: ContinuousClock.Instant = .now) -> Int {
        state.withLock { state in
            let expired = state.idle.filter { now - $0.value >= linger }.keys
            for topic in expired {
                state.idle.removeValue(forKey: topic)
                subscriber.withLock { $0?.unsubscribe(topic) }
            }
            return expired.count
        }
    }

    /// Topics subscribed without members (lingering).
    var idleCount: Int { state.withLock { $0.idle.count } }

    func members(of topic: String) -> [Connection] {
        state.withLock { state in state.members[topic].map { Array($0.values) } ?? [] }
    }

    var topicCount: Int { state.withLock { $0.members.count } }

    func topics(withPrefix prefix: String) -> [String: Int] {
        state.withLock { state in
            var result: [String: Int] = [:]
            for (topic, members) in state.members where topic.hasPrefix(prefix) { result[topic] = members.count }
            return result
        }
    }
}

/// Every connection on this edge and the topics they follow.
///
/// Events from the scheduler arrive on the SUB socket's thread; `deliver` writes the same bytes (one shared buffer) to every
/// local member without re-encoding and without waiting for anybody, one hop per event loop.
final class ConnectionRegistry: Sendable {
    let members: TopicMembers
    private let subscriber: EventSubscriber
    private let connections = Mutex<[String: Connection]>([:])
    private let logger: Logger
    /// Events for the edge itself rather than for clients (policy notices), by topic; set once at start.
    private let edgeHandlers: EdgeEventHandlers

    init(eventsEndpoint: String, logger: Logger, linger: Duration = .seconds(5)) throws(BusError) {
        let members = TopicMembers(linger: linger)
        let edgeHandlers = EdgeEventHandlers()
        self.members = members
        self.logger = logger
        self.edgeHandlers = edgeHandlers
        subscriber = try EventSubscriber(endpoint: eventsEndpoint) { topic, payload, head in
            if let handler = edgeHandlers.handler(for: topic) {
                handler(topic, payload, head)
                return
            }
            let recipients = members.members(of: topic)
            guard !recipients.isEmpty else { return }
            Connection.send(ByteBuffer(bytes: payload), to: recipients)
        }
        members.attach(subscriber)
    }

    /// Has the edge itself follow `topic` (e.g. `policy/blocklist`, or an ordered topic): its events go to `handler`
    /// (with their head frame, if any), never straight to a client.
    func handleEdgeEvents(_ topic: String, _ handler: @escaping EventSubscriber.HeadedHandler) {
        if edgeHandlers.set(handler, for: topic) { subscriber.subscribe(topic) }
    }

    /// Stops following a topic `handleEdgeEvents` followed.
    func stopEdgeEvents(_ topic: String) {
        if edgeHandlers.remove(topic) { subscriber.unsubscribe(topic) }
    }

    func add(_ connection: Connection) {
        let count = connections.withLock { connections in
            connections[connection.id] = connection
            return connections.count
        }
        Gauge(label: "switchboard_ws_connections").record(count)
        join(connection, "all")
        if let principal = connection.principal {
            join(connection, "user/\(principal.user)")
            // `role/<role>`: frames only some roles may see (e.g. `menu_change` details for admins).
            for role in principal.roles.prefix(16) { join(connection, "role/\(role)") }
        }
        if case .permissions(let user) = connection.endpoint, user != connection.principal?.user { join(connection, "user/\(user)") }
    }

    /// Forgets a connection and leaves all its topics. Idempotent.
    func remove(_ connection: Connection) {
        let (removed, count) = connections.withLock { ($0.removeValue(forKey: connection.id) != nil, $0.count) }
        guard removed else { return }
        Gauge(label: "switchboard_ws_connections").record(count)
        for topic in connection.removeAllTopics() { members.remove(connection, from: topic) }
    }

    func join(_ connection: Connection, _ topic: String) {
        guard connection.addTopic(topic) else { return }
        members.add(connection, to: topic)
    }

    func leave(_ connection: Connection, _ topic: String) {
        guard connection.removeTopic(topic) else { return }
        members.remove(connection, from: topic)
    }

    var all: [Connection] { connections.withLock { Array($0.values) } }
    var count: Int { connections.withLock { $0.count } }

    func shutdown() {
        subscriber.shutdown()
    }
}

/// The handlers of the topics the edge follows for itself, shared with the SUB socket's thread.
final class EdgeEventHandlers: Sendable {
    private let handlers = Mutex<[String: EventSubscriber.HeadedHandler]>([:])

    func handler(for topic: String) -> EventSubscriber.HeadedHandler? {
        handlers.withLock { $0[topic] }
    }

    /// Sets the handler; true when the topic had none before (so it must be subscribed).
    func set(_ handler: @escaping EventSubscriber.HeadedHandler, for topic: String) -> Bool {
        handlers.withLock { handlers in
            defer { handlers[topic] = handler }
            return handlers[topic] == nil
        }
    }

    /// Removes the handler; true when there was one (so the topic must be unsubscribed).
    func remove(_ topic: String) -> Bool {
        handlers.withLock { $0.removeValue(forKey: topic) != nil }
    }
}
