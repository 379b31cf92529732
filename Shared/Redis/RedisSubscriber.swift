import Dispatch
import Foundation
import Logging
import Synchronization

/// A dedicated connection for SUBSCRIBE/PSUBSCRIBE that resubscribes after reconnecting.
///
/// A connection in subscribe mode cannot run ordinary commands, so subscriptions get their own connection
/// and thread, separate from `RedisClient`. Redis pub/sub is fire-and-forget: messages published while
/// the connection is down are lost, which is why callers that need every event must also keep state in
/// keys or streams. The thread notices a dead peer (EOF, reset, or an unanswered PING after a silent
/// spell) and reconnects with backoff, then subscribes again to the same channels and patterns.
public final class RedisSubscriber: Sendable {
    private let core: SubscriberCore

    /// Every message received, in order. There is one stream per subscriber, meant for one consumer; it
    /// finishes after `shutdown()`. It buffers up to `bufferLimit` messages for a slow consumer and then
    /// drops the oldest (logged as a warning).
    public let messages: AsyncStream<RedisPubSubMessage>

    /// Starts the subscriber thread, which connects and subscribes right away, and again after each reconnect.
    public init(
        configuration: RedisConfiguration,
        channels: [String],
        patterns: [String] = [],
        bufferLimit: Int = 10_000,
        logger: Logger = Logger(label: "redis.subscriber")
    ) {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisPubSubMessage.self, bufferingPolicy: .bufferingNewest(bufferLimit))
        messages = stream
        core = SubscriberCore(
            configuration: configuration, channels: channels, patterns: patterns, continuation: continuation, logger: logger)
        let core = core
        let thread = Thread { core.run() }
        thread.name = "redis-sub \(configuration.endpoint)"
        thread.start()
    }

    deinit {
        core.shutdown(wait: false)
    }

    /// True once Redis has confirmed every channel and pattern on the current connection; false while reconnecting.
    public var isSubscribed: Bool { core.isSubscribed }

    /// Closes the connection, ends the thread (waiting briefly for it) and finishes `messages`. Idempotent.
    public func shutdown() {
        core.shutdown(wait: true)
    }
}

/// The subscriber thread's state; the thread holds this rather than the `RedisSubscriber`.
final class SubscriberCore: Sendable {
    struct State {
        var shutdown = false
        var subscribed = false
        var fileDescriptor: Int32 = -1
        var worker: pthread_t?
    }

    let configuration: RedisConfiguration
    let channels: [String]
    let patterns: [String]
    let logger: Logger
    private let continuation: AsyncStream<RedisPubSubMessage>.Continuation
    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)
    private let clock = ContinuousClock()

    /// How long the connection may stay silent before a PING checks it, and how long that PING may take.
    private let idleBeforePing: Duration = .seconds(15)
    /// How often a subscriber behind Sentinel checks that its server is still the master.
    private let masterCheckInterval: Duration = .seconds(1)

    init(
        configuration: RedisConfiguration, channels: [String], patterns: [String],
        continuation: AsyncStream<RedisPubSubMessage>.Continuation, logger: Logger
    ) {
        self.configuration = configuration
        self.channels = channels
        self.patterns = patterns
        self.continuation = continuation
        var logger = logger
        logger[metadataKey: "redis"] = "\(configuration.label)"
        self.logger = logger
    }

    var isSubscribed: Bool { state.withLock { $0.subscribed } }

    private var isShutdown: Bool { state.withLock { $0.shutdown } }

    func shutdown(wait: Bool) {
        let isWorker = state.withLock { state -> Bool in
            state.shutdown = true
            if state.fileDescriptor >= 0 {
                _ = Glibc.shutdown(state.fileDescriptor, Int32(SHUT_RDWR))
            }
            return state.worker.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        }
        if wait && !isWorker {
            let bound = configuration.connectTimeout + .milliseconds(500)
            if exited.wait(timeout: .now() + bound.seconds) == .success {
                exited.signal()
            }
        }
    }

    func run() {
        state.withLock { $0.worker = pthread_self() }
        var backoff = configuration.reconnectBackoff.lowerBound
        var failures = 0
        while !isShutdown {
            do throws(RedisError) {
                let connection = try RedisConnection(configuration: configuration)
                let registered = state.withLock { state -> Bool in
                    if state.shutdown { return false }
                    state.fileDescriptor = connection.fileDescriptor
                    return true
                }
                defer {
                    state.withLock { state in
                        state.fileDescriptor = -1
                        state.subscribed = false
                    }
                    connection.close()
                }
                guard registered else { break }
                if failures > 0 {
                    logger.info("redis subscriber reconnected", metadata: ["failedAttempts": "\(failures)"])
                }
                failures = 0
                backoff = configuration.reconnectBackoff.lowerBound
                try listen(on: connection)
            } catch {
                if isShutdown { break }
                if configuration.sentinel != nil, case .unavailable(let message) = error, message.contains("Sentinel moved master") {
                    logger.warning("redis subscriber following failover", metadata: ["error": "\(message)"])
                    continue
                }
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.warning("redis subscriber disconnected", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                }
                sleep(backoff)
                backoff = min(backoff * 2, configuration.reconnectBackoff.upperBound)
            }
        }
        continuation.finish()
        exited.signal()
    }

    /// Sleeps in short steps so that shutdown is noticed promptly.
    private func sleep(_ duration: Duration) {
        let deadline = clock.now + duration
        while !isShutdown, clock.now < deadline {
            let step = min(deadline - clock.now, .milliseconds(50))
            Thread.sleep(forTimeInterval: max(0, step.seconds))
        }
    }

    private func listen(on connection: RedisConnection) throws(RedisError) {
        if !channels.isEmpty {
            try connection.append([Array("SUBSCRIBE".utf8)] + channels.map { Array($0.utf8) })
        }
        if !patterns.isEmpty {
            try connection.append([Array("PSUBSCRIBE".utf8)] + patterns.map { Array($0.utf8) })
        }
        try connection.flush()
        var pending = Set(channels.map { "c:" + $0 } + patterns.map { "p:" + $0 })
        if pending.isEmpty { state.withLock { $0.subscribed = true } }
        var lastActivity = clock.now
        var pingSentAt: ContinuousClock.Instant?
        var masterCheckedAt = clock.now
        while true {
            while let reply = try connection.bufferedReply() {
                lastActivity = clock.now
                pingSentAt = nil
                try handle(reply, pending: &pending)
            }
            if isShutdown { return }
            var descriptor = pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready > 0 {
                try connection.readAvailable()
                continue
            }
            if ready < 0 && errno != EINTR {
                throw .unavailable("\(configuration.endpoint): poll failed (errno \(errno))")
            }
            let now = clock.now
            if let sentinel = configuration.sentinel, now - masterCheckedAt >= masterCheckInterval {
                // A subscriber never writes, so no READONLY tells it of a failover: it asks Sentinel now and then.
                masterCheckedAt = now
                if let master = try? SentinelResolver.master(sentinel, connectTimeout: configuration.connectTimeout),
                    master.host != connection.host || master.port != connection.port
                {
                    throw .unavailable("\(connection.endpoint): Sentinel moved master \(sentinel.masterName) to \(master)")
                }
            }
            if let sentAt = pingSentAt {
                if now - sentAt > configuration.commandTimeout {
                    throw .timeout("\(configuration.endpoint): no answer to PING within \(configuration.commandTimeout)")
                }
            } else if now - lastActivity > idleBeforePing {
                try connection.append([Array("PING".utf8)])
                try connection.flush()
                pingSentAt = now
            }
        }
    }

    private func handle(_ reply: RedisValue, pending: inout Set<String>) throws(RedisError) {
        guard let parts = reply.array, let kind = parts.first?.text else {
            if case .error(let message) = reply { throw .server(message) }
            throw .protocolError("unexpected reply in subscribe mode: \(reply)")
        }
        switch kind {
        case "message" where parts.count == 3:
            deliver(RedisPubSubMessage(channel: parts[1].text ?? "", payload: Self.bytes(parts[2])))
        case "pmessage" where parts.count == 4:
            deliver(RedisPubSubMessage(channel: parts[2].text ?? "", pattern: parts[1].text, payload: Self.bytes(parts[3])))
        case "subscribe", "psubscribe":
            let prefix = kind == "subscribe" ? "c:" : "p:"
            pending.remove(prefix + (parts.count > 1 ? parts[1].text ?? "" : ""))
            if pending.isEmpty {
                state.withLock { $0.subscribed = true }
                logger.debug("redis subscribed", metadata: ["channels": "\(channels)", "patterns": "\(patterns)"])
            }
        case "pong":
            break
        default:
            logger.debug("redis subscriber ignored reply", metadata: ["reply": "\(reply)"])
        }
    }

    private func deliver(_ message: RedisPubSubMessage) {
        if case .dropped = continuation.yield(message) {
            logger.warning("redis subscriber buffer full, dropped the oldest message", metadata: ["channel": "\(message.channel)"])
        }
    }

    private static func bytes(_ value: RedisValue) -> [UInt8] {
        if case .string(let bytes) = value { return bytes }
        return []
    }
}
