import CZMQ
import Synchronization

/// The sending end of the ingest pipe (edge and menu → scheduler): events to persist, then fan out.
///
/// `ZMQ_IMMEDIATE` keeps nothing queued for an absent scheduler, so `push` reports at once whether the event was taken.
public final class IngestPusher: Sendable {
    public let endpoint: String
    private let loop: PollLoop<PushCommand>

    public init(endpoint: String) throws(BusError) {
        self.endpoint = endpoint
        loop = PollLoop(name: "push")
        loop.start(try PushDriver(endpoint: endpoint))
    }

    /// Hands one event to the scheduler. Returns false when no scheduler is connected (or it is saturated).
    public func push(_ payload: [UInt8]) async -> Bool {
        await withCheckedContinuation { continuation in
            if !loop.post(.push(payload, continuation)) { continuation.resume(returning: false) }
        }
    }

    public func shutdown() { loop.stop() }

    deinit { loop.stop() }
}

enum PushCommand: Sendable {
    case push([UInt8], CheckedContinuation<Bool, Never>)
}

/// The PUSH socket, confined to its poll thread (`@unchecked Sendable`: handed over once at start).
final class PushDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket] = []
    private let push: ZMQSocket

    init(endpoint: String) throws(BusError) {
        push = try ZMQSocket(kind: ZMQ_PUSH)
        push.setOption(ZMQ_IMMEDIATE, 1)
        push.setOption(ZMQ_SNDHWM, 100_000)
        push.setOption(ZMQ_RECONNECT_IVL, 100)
        try push.connect(endpoint, server: "scheduler")
    }

    func handle(_ command: PushCommand) {
        switch command {
        case .push(let payload, let continuation):
            continuation.resume(returning: push.send([payload]))
        }
    }

    func readable(socketIndex: Int) {}
    func pollTimeout() -> Int { -1 }
    func tick() {}
    func close() { push.close() }
}

/// The receiving end of the ingest pipe, bound by the scheduler.
public final class IngestPuller: Sendable {
    public let endpoint: String
    public let messages: AsyncStream<[UInt8]>
    private let loop: PollLoop<Never>

    public init(endpoint: String) throws(BusError) {
        self.endpoint = endpoint
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        messages = stream
        loop = PollLoop(name: "pull")
        loop.start(try PullDriver(endpoint: endpoint, messages: continuation))
    }

    public func shutdown() { loop.stop() }

    deinit { loop.stop() }
}

/// The PULL socket, confined to its poll thread (`@unchecked Sendable`: handed over once at start).
final class PullDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket]
    private let pull: ZMQSocket
    private let messages: AsyncStream<[UInt8]>.Continuation

    init(endpoint: String, messages: AsyncStream<[UInt8]>.Continuation) throws(BusError) {
        pull = try ZMQSocket(kind: ZMQ_PULL)
        pull.setOption(ZMQ_RCVHWM, 100_000)
        do {
            try pull.bind(endpoint)
        } catch {
            pull.close()
            throw error
        }
        self.messages = messages
        sockets = [pull]
    }

    func handle(_ command: Never) {}

    func readable(socketIndex: Int) {
        while let frames = pull.receive() {
            if let payload = frames.last { messages.yield(payload) }
        }
    }

    func pollTimeout() -> Int { -1 }
    func tick() {}

    func close() {
        messages.finish()
        pull.close()
    }
}
