import CZMQ
import Logging
import Metrics

/// An edge's SUB socket: receives the events of the topics its connections want.
///
/// Messages are handed to `onEvent` on the socket's own thread, so fan-out can start without a hop through the
/// cooperative pool; the handler must not block.
public final class EventSubscriber: Sendable {
    public typealias Handler = @Sendable (_ topic: String, _ payload: [UInt8]) -> Void
    /// Also gets the event's head frame (`EventHead` JSON) when the publisher sent one.
    public typealias HeadedHandler = @Sendable (_ topic: String, _ payload: [UInt8], _ head: [UInt8]?) -> Void

    public let endpoint: String
    private let loop: PollLoop<SubscriberCommand>

    public convenience init(endpoint: String, onEvent: @escaping Handler) throws(BusError) {
        try self.init(endpoint: endpoint, onHeadedEvent: { topic, payload, _ in onEvent(topic, payload) })
    }

    public init(endpoint: String, onHeadedEvent: @escaping HeadedHandler) throws(BusError) {
        self.endpoint = endpoint
        loop = PollLoop(name: "sub")
        loop.start(try SubscriberDriver(endpoint: endpoint, onEvent: onHeadedEvent))
    }

    /// Starts receiving a topic (exact match). ZeroMQ re-sends it to a restarted publisher by itself.
    public func subscribe(_ topic: String) {
        loop.post(.subscribe(TopicFrame.encode(topic)))
    }

    public func unsubscribe(_ topic: String) {
        loop.post(.unsubscribe(TopicFrame.encode(topic)))
    }

    public func shutdown() { loop.stop() }

    deinit { loop.stop() }
}

enum SubscriberCommand: Sendable {
    case subscribe([UInt8])
    case unsubscribe([UInt8])
}

/// The SUB socket, confined to its poll thread (`@unchecked Sendable`: handed over once at start).
final class SubscriberDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket]
    private let sub: ZMQSocket
    private let onEvent: EventSubscriber.HeadedHandler

    init(endpoint: String, onEvent: @escaping EventSubscriber.HeadedHandler) throws(BusError) {
        sub = try ZMQSocket(kind: ZMQ_SUB)
        sub.setOption(ZMQ_RCVHWM, 100_000)
        sub.setOption(ZMQ_RECONNECT_IVL, 100)
        try sub.connect(endpoint, server: "scheduler")
        self.onEvent = onEvent
        sockets = [sub]
    }

    func handle(_ command: SubscriberCommand) {
        switch command {
        case .subscribe(let topic): sub.setOption(ZMQ_SUBSCRIBE, bytes: topic)
        case .unsubscribe(let topic): sub.setOption(ZMQ_UNSUBSCRIBE, bytes: topic)
        }
    }

    /// Fan-out of one burst of events; its duration is exported as `switchboard_bus_fanout_burst_seconds`, how long the
    /// last event of a burst waited behind the others (the fan-out lag alert watches it).
    func readable(socketIndex: Int) {
        let started = ContinuousClock.now
        var count = 0
        while let frames = sub.receive() {
            guard frames.count >= 2 else { continue }
            onEvent(TopicFrame.decode(frames[0][...]), frames[1], frames.count >= 3 ? frames[2] : nil)
            count += 1
        }
        if count > 0 {
            let elapsed = started.duration(to: .now).components
            Metrics.Timer(label: "switchboard_bus_fanout_burst_seconds").recordNanoseconds(
                elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        }
    }

    func pollTimeout() -> Int { -1 }
    func tick() {}
    func close() { sub.close() }
}
