import CZMQ
import Logging

/// A change in who listens to a topic, as XPUB reports it: the first subscriber arrived, or the last one left.
public enum SubscriptionNotice: Sendable, Equatable {
    case subscribed(String)
    case unsubscribed(String)
}

/// The scheduler's XPUB socket: publishes events to every edge and tells which topics somebody wants.
///
/// The notices are the scheduler's whole registry of subscription groups: after a restart, the edges' SUB sockets re-send
/// their subscriptions and the notices rebuild it.
public final class EventPublisher: Sendable {
    public let endpoint: String
    /// Subscription notices, in the order XPUB delivered them.
    public let notices: AsyncStream<SubscriptionNotice>
    private let loop: PollLoop<PublisherCommand>

    public init(endpoint: String) throws(BusError) {
        self.endpoint = endpoint
        let (stream, continuation) = AsyncStream<SubscriptionNotice>.makeStream()
        notices = stream
        loop = PollLoop(name: "xpub")
        loop.start(try PublisherDriver(endpoint: endpoint, notices: continuation))
    }

    /// Publishes one event. Subscribers past their high-water mark miss it (PUB semantics); nobody else waits.
    public func publish(topic: String, payload: [UInt8]) {
        loop.post(.publish(TopicFrame.encode(topic), payload, nil))
    }

    /// Publishes an event with a head (a third frame: `EventHead` JSON), which ordered receivers read instead of the payload.
    public func publish(topic: String, payload: [UInt8], head: [UInt8]) {
        loop.post(.publish(TopicFrame.encode(topic), payload, head))
    }

    public func shutdown() { loop.stop() }

    deinit { loop.stop() }
}

enum PublisherCommand: Sendable {
    case publish([UInt8], [UInt8], [UInt8]?)
}

/// The XPUB socket, confined to its poll thread (`@unchecked Sendable`: handed over once at start).
final class PublisherDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket]
    private let xpub: ZMQSocket
    private let notices: AsyncStream<SubscriptionNotice>.Continuation

    init(endpoint: String, notices: AsyncStream<SubscriptionNotice>.Continuation) throws(BusError) {
        xpub = try ZMQSocket(kind: ZMQ_XPUB)
        xpub.setOption(ZMQ_SNDHWM, 100_000)
        do {
            try xpub.bind(endpoint)
        } catch {
            xpub.close()
            throw error
        }
        self.notices = notices
        sockets = [xpub]
    }

    func handle(_ command: PublisherCommand) {
        switch command {
        case .publish(let topic, let payload, let head):
            _ = xpub.send(head.map { [topic, payload, $0] } ?? [topic, payload])
        }
    }

    func readable(socketIndex: Int) {
        while let frames = xpub.receive() {
            guard let frame = frames.first, let kind = frame.first else { continue }
            let topic = TopicFrame.decode(frame.dropFirst())
            notices.yield(kind == 1 ? .subscribed(topic) : .unsubscribed(topic))
        }
    }

    func pollTimeout() -> Int { -1 }
    func tick() {}

    func close() {
        notices.finish()
        xpub.close()
    }
}
