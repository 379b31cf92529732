import Synchronization

/// The topics some edge subscribes to right now, as XPUB notices report them.
final class TopicRegistry: Sendable {
    private let topics = Mutex<Set<String>>([])

    var count: Int { topics.withLock { $0.count } }

    func apply(subscribed topic: String) { _ = topics.withLock { $0.insert(topic) } }
    func apply(unsubscribed topic: String) { _ = topics.withLock { $0.remove(topic) } }
    func contains(_ topic: String) -> Bool { topics.withLock { $0.contains(topic) } }
}
