import Dispatch
import Foundation
import Logging
import Metrics
import Synchronization

/// One Redis connection owned by a dedicated OS thread, shared by any number of tasks.
///
/// hiredis is blocking and its context is not thread-safe, and blocking calls must never run on Swift's
/// cooperative pool. So the context lives on its own thread: callers enqueue their command with a
/// continuation, the thread takes *everything* queued at once, writes it all and reads the replies in
/// order, which pipelines concurrent callers for free. When Redis is unreachable, calls fail fast with
/// `RedisError.unavailable` instead of hanging, while the thread reconnects with exponential backoff.
public final class RedisClient: Sendable {
    private let core: ClientCore

    /// Starts the connection thread, which connects right away. A Redis that is down is not an error here:
    /// calls report `unavailable` until a connection succeeds.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "redis")) {
        core = ClientCore(configuration: configuration, logger: logger)
        let core = core
        let thread = Thread { core.run() }
        thread.name = "redis \(configuration.endpoint)"
        thread.start()
    }

    deinit {
        core.shutdown(wait: false)
    }

    /// The configuration this client connects with.
    public var configuration: RedisConfiguration { core.configuration }

    /// Sends one command. An error reply throws `RedisError.server`.
    public func send(_ arguments: [String]) async throws -> RedisValue {
        try await sendBytes(arguments.map { Array($0.utf8) })
    }

    /// Sends one command. An error reply throws `RedisError.server`.
    public func send(_ arguments: String...) async throws -> RedisValue {
        try await send(arguments)
    }

    /// Sends one command whose arguments are raw bytes (binary-safe keys and values).
    public func sendBytes(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let start = ContinuousClock.now
        let replies: [RedisValue]
        do {
            replies = try await core.submit([arguments])
        } catch {
            Counter(label: "switchboard_redis_failures_total").increment()
            throw error
        }
        let command = arguments.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? "?"
        Metrics.Timer(label: "switchboard_redis_command_duration_seconds", dimensions: [("command", command)])
            .recordNanoseconds(Self.nanoseconds(since: start))
        guard let reply = replies.first else { throw RedisError.protocolError("no reply") }
        if case .error(let message) = reply {
            throw RedisError.server(message)
        }
        return reply
    }

    /// Sends all commands in one round trip and returns one reply per command, in order.
    /// Error replies are returned as `.error` entries; this throws only when the connection fails.
    public func pipeline(_ commands: [[String]]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        let start = ContinuousClock.now
        do {
            let replies = try await core.submit(commands.map { $0.map { Array($0.utf8) } })
            Metrics.Timer(label: "switchboard_redis_command_duration_seconds", dimensions: [("command", "PIPELINE")])
                .recordNanoseconds(Self.nanoseconds(since: start))
            return replies
        } catch {
            Counter(label: "switchboard_redis_failures_total").increment()
            throw error
        }
    }

    /// Sends one write that must survive the master's loss: with `waitReplicas` set it is followed, in the same
    /// round trip on the same connection, by `WAIT n timeout`, and throws `RedisError.timeout` when fewer replicas
    /// confirmed it in time (the write may still be there, so the caller reports failure rather than success).
    /// An error reply throws `RedisError.server`.
    public func sendDurable(_ arguments: [String]) async throws -> RedisValue {
        try await sendBytesDurable(arguments.map { Array($0.utf8) })
    }

    /// `sendDurable` with raw-byte arguments.
    public func sendBytesDurable(_ arguments: [[UInt8]]) async throws -> RedisValue {
        guard let reply = try await durable([arguments]).first else { throw RedisError.protocolError("no reply") }
        if case .error(let message) = reply {
            throw RedisError.server(message)
        }
        return reply
    }

    /// `pipeline` for writes that are acknowledged to a client: the replies, then the same replica check as `sendDurable`.
    public func pipelineDurable(_ commands: [[String]]) async throws -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        return try await durable(commands.map { $0.map { Array($0.utf8) } })
    }

    /// The commands' replies once `waitReplicas` replicas hold them (or at once when no replica is required).
    func durable(_ commands: [[[UInt8]]]) async throws -> [RedisValue] {
        let required = configuration.waitReplicas
        guard required > 0 else {
            return try await core.submit(commands)
        }
        let timeout = max(1, Int((configuration.waitTimeout.seconds * 1000).rounded()))
        let start = ContinuousClock.now
        let wait = ["WAIT", String(required), String(timeout)].map { Array($0.utf8) }
        let replies: [RedisValue]
        do {
            replies = try await core.submit(commands + [wait])
        } catch {
            Counter(label: "switchboard_redis_failures_total").increment()
            throw error
        }
        Metrics.Timer(label: "switchboard_redis_command_duration_seconds", dimensions: [("command", "DURABLE")])
            .recordNanoseconds(Self.nanoseconds(since: start))
        let confirmed = replies.last?.int ?? 0
        guard confirmed >= required else {
            Counter(label: "switchboard_redis_unreplicated_writes_total").increment()
            throw RedisError.timeout("write reached \(confirmed) of \(required) replicas within \(timeout) ms (WAIT)")
        }
        return Array(replies.dropLast())
    }

    private static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = (ContinuousClock.now - start).components
        return elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
    }

    /// Sends PING and returns the round-trip time.
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let reply = try await send("PING")
        guard reply.text == "PONG" else { throw RedisError.protocolError("unexpected PING reply \(reply)") }
        return clock.now - start
    }

    /// Whether the thread currently holds an open connection (a hint: the next call may still fail).
    public var isConnected: Bool { core.isConnected }

    /// Fails everything pending with `.unavailable("client shut down")`, closes the connection and ends the
    /// thread (waiting briefly for it). Idempotent; later calls fail immediately.
    public func shutdown() {
        core.shutdown(wait: true)
    }
}

/// The state shared by a `RedisClient`, its callers and its thread. The thread holds this (not the client),
/// so dropping the last `RedisClient` reference shuts the thread down.
final class ClientCore: Sendable {
    struct Request {
        var commands: [[[UInt8]]]
        var continuation: CheckedContinuation<[RedisValue], any Error>
    }

    struct State {
        var queue: [Request] = []
        var inFlight: [Request] = []
        var connected = false
        var connecting = false
        var shutdown = false
        var exited = false
        /// The open socket, so `shutdown` can interrupt a blocking read; -1 when closed.
        var fileDescriptor: Int32 = -1
        var nextAttempt: ContinuousClock.Instant
        var backoff: Duration
        var lastError: String
        /// The connection thread, so that a `shutdown()` made on it does not wait for itself.
        var worker: pthread_t?
        var failedAttempts = 0
    }

    let configuration: RedisConfiguration
    let logger: Logger
    private let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    private let clock = ContinuousClock()

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis"] = "\(configuration.label)"
        self.logger = logger
        state = Mutex(
            State(
                nextAttempt: ContinuousClock().now, backoff: configuration.reconnectBackoff.lowerBound,
                lastError: "\(configuration.endpoint): not connected yet"))
    }

    var isConnected: Bool { state.withLock { $0.connected } }

    func submit(_ commands: [[[UInt8]]]) async throws -> [RedisValue] {
        try await withCheckedThrowingContinuation { continuation in
            let now = clock.now
            let rejection: RedisError? = state.withLock { state in
                if state.shutdown {
                    return .unavailable("client shut down")
                }
                if !state.connected && !state.connecting && now < state.nextAttempt {
                    let wait = state.nextAttempt - now
                    return .unavailable("\(state.lastError) (reconnecting, next attempt in \(Self.format(wait)))")
                }
                state.queue.append(Request(commands: commands, continuation: continuation))
                return nil
            }
            if let rejection {
                continuation.resume(throwing: rejection)
            } else {
                wake.signal()
            }
        }
    }

    func shutdown(wait: Bool) {
        let (failed, first, isWorker) = state.withLock { state -> ([Request], Bool, Bool) in
            let first = !state.shutdown
            state.shutdown = true
            let failed = state.queue + state.inFlight
            state.queue = []
            state.inFlight = []
            if state.fileDescriptor >= 0 {
                // Wakes a read blocked in hiredis; the thread still owns (and closes) the descriptor.
                _ = Glibc.shutdown(state.fileDescriptor, Int32(SHUT_RDWR))
            }
            return (failed, first, state.worker.map { pthread_equal($0, pthread_self()) != 0 } ?? false)
        }
        for request in failed {
            request.continuation.resume(throwing: RedisError.unavailable("client shut down"))
        }
        wake.signal()
        if first {
            logger.debug("redis client shutting down")
        }
        if wait && !isWorker {
            let bound = configuration.connectTimeout + .milliseconds(500)
            if exited.wait(timeout: .now() + bound.seconds) == .success {
                exited.signal()  // let any later shutdown() pass too
            }
        }
    }

    // MARK: - The connection thread

    private enum Action {
        case exit
        case connect
        case execute([[[UInt8]]], counts: [Int])
        case sleep(Duration?)
    }

    func run() {
        state.withLock { $0.worker = pthread_self() }
        var connection: RedisConnection?
        loop: while true {
            let now = clock.now
            let hasConnection = connection != nil
            let action = state.withLock { state -> Action in
                if state.shutdown { return .exit }
                if !hasConnection {
                    if now >= state.nextAttempt {
                        state.connecting = true
                        return .connect
                    }
                    return .sleep(state.nextAttempt - now)
                }
                if state.queue.isEmpty { return .sleep(nil) }
                state.inFlight = state.queue
                state.queue = []
                return .execute(state.inFlight.flatMap(\.commands), counts: state.inFlight.map(\.commands.count))
            }
            switch action {
            case .exit:
                break loop
            case .sleep(let duration):
                if let duration {
                    _ = wake.wait(timeout: .now() + duration.seconds)
                } else {
                    wake.wait()
                }
            case .connect:
                connection = connect()
            case .execute(let commands, let counts):
                do throws(RedisError) {
                    let replies = try connection!.execute(commands)
                    let batch = state.withLock { state in
                        defer { state.inFlight = [] }
                        return state.inFlight
                    }
                    var offset = 0
                    for (request, count) in zip(batch, counts) {
                        request.continuation.resume(returning: Array(replies[offset..<offset + count]))
                        offset += count
                    }
                    if configuration.sentinel != nil, replies.contains(where: Self.isReadOnly) {
                        // A demoted master: drop it, so the next command asks Sentinel for the new one.
                        demoted(connection!)
                        connection = nil
                    }
                } catch {
                    disconnect(connection!, error: error)
                    connection = nil
                }
            }
        }
        if let connection {
            state.withLock { $0.fileDescriptor = -1 }
            connection.close()
        }
        state.withLock { state in
            state.connected = false
            state.exited = true
        }
        exited.signal()
    }

    private func connect() -> RedisConnection? {
        do throws(RedisError) {
            let connection = try RedisConnection(configuration: configuration)
            let (failures, shutdown) = state.withLock { state in
                state.connecting = false
                state.connected = true
                state.fileDescriptor = connection.fileDescriptor
                state.backoff = configuration.reconnectBackoff.lowerBound
                defer { state.failedAttempts = 0 }
                return (state.failedAttempts, state.shutdown)
            }
            if shutdown {
                // shutdown() ran while connecting and could not see the descriptor: the loop exits next.
                state.withLock { $0.fileDescriptor = -1 }
                connection.close()
                return nil
            }
            if failures > 0 {
                logger.info("redis reconnected", metadata: ["failedAttempts": "\(failures)"])
            } else {
                logger.debug("redis connected")
            }
            return connection
        } catch {
            let message = Self.message(of: error)
            let (failed, attempt, delay) = state.withLock { state in
                state.connecting = false
                state.lastError = message
                state.failedAttempts += 1
                let delay = state.backoff
                state.nextAttempt = clock.now + delay
                state.backoff = min(state.backoff * 2, configuration.reconnectBackoff.upperBound)
                let failed = state.queue
                state.queue = []
                return (failed, state.failedAttempts, delay)
            }
            for request in failed {
                request.continuation.resume(throwing: error)
            }
            // Log the first failure of an outage loudly, then only now and then, not every 2 s forever.
            if attempt == 1 || attempt % 30 == 0 {
                logger.warning(
                    "redis connect failed", metadata: ["error": "\(message)", "attempt": "\(attempt)", "retryIn": "\(Self.format(delay))"])
            } else {
                logger.debug("redis connect failed", metadata: ["error": "\(message)", "attempt": "\(attempt)"])
            }
            return nil
        }
    }

    /// Drops a master that turned replica, keeping what is queued for the master Sentinel names on the reconnect
    /// that follows at once.
    private func demoted(_ connection: RedisConnection) {
        state.withLock { state in
            state.fileDescriptor = -1
            state.connected = false
            state.lastError = "\(connection.endpoint) is a replica now (READONLY)"
            state.nextAttempt = clock.now
        }
        connection.close()
        logger.warning("redis master demoted, asking Sentinel again", metadata: ["was": "\(connection.endpoint)"])
    }

    /// Drops a broken connection: fails what was in flight with the error, and what was queued behind it as
    /// unavailable, then schedules a reconnect (immediately after a timeout, since Redis itself is up).
    private func disconnect(_ connection: RedisConnection, error: RedisError) {
        let message = Self.message(of: error)
        let (inFlight, queued, shuttingDown) = state.withLock { state in
            state.fileDescriptor = -1
            state.connected = false
            state.lastError = message
            let delay: Duration
            if case .timeout = error {
                delay = .zero
            } else {
                delay = state.backoff
                state.backoff = min(state.backoff * 2, configuration.reconnectBackoff.upperBound)
            }
            state.nextAttempt = clock.now + delay
            defer {
                state.inFlight = []
                state.queue = []
            }
            return (state.inFlight, state.queue, state.shutdown)
        }
        connection.close()
        if shuttingDown {
            return  // shutdown() already failed everything and interrupted the socket on purpose
        }
        logger.warning("redis connection lost", metadata: ["error": "\(error)"])
        for request in inFlight {
            request.continuation.resume(throwing: error)
        }
        let queuedError = RedisError.unavailable("connection lost: \(message)")
        for request in queued {
            request.continuation.resume(throwing: queuedError)
        }
    }

    /// A `-READONLY` reply, alone or inside an EXEC/script result: this server is no longer the master.
    static func isReadOnly(_ reply: RedisValue) -> Bool {
        switch reply {
        case .error(let message): return message.hasPrefix("READONLY") || message.contains("-READONLY") || message.contains(" READONLY ")
        case .array(let elements): return elements.contains(where: isReadOnly)
        default: return false
        }
    }

    private static func message(of error: RedisError) -> String {
        switch error {
        case .unavailable(let message), .timeout(let message), .server(let message), .protocolError(let message):
            return message
        }
    }

    static func format(_ duration: Duration) -> String {
        let millis = Int((duration.seconds * 1000).rounded())
        return millis >= 1000 ? "\(Double(millis) / 1000) s" : "\(millis) ms"
    }
}
