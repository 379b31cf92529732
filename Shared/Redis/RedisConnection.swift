import CHiredis
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One blocking hiredis connection.
///
/// Deliberately not `Sendable`: a `redisContext` must only ever be touched by one thread, so each instance
/// lives inside the run loop of exactly one connection thread (`RedisClient`'s or `RedisSubscriber`'s).
/// All failures come back as `RedisError`; after any error the connection is dead and must be closed.
final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?
    let configuration: RedisConfiguration

    /// The socket, for `poll` and for another thread to `shutdown(2)` it (never to close it).
    let fileDescriptor: Int32

    /// The address actually connected to (the master Sentinel named, when Sentinel is configured).
    let host: String
    let port: Int
    /// `host:port` of this connection, for log lines and errors.
    let endpoint: String

    /// Connects to the configured server, or with Sentinel to the master it names (checked with `ROLE`, so a
    /// demoted master that Sentinel has not caught up with yet is never written to).
    convenience init(configuration: RedisConfiguration) throws(RedisError) {
        guard let sentinel = configuration.sentinel else {
            try self.init(host: configuration.host, port: configuration.port, configuration: configuration, handshake: true)
            return
        }
        let master = try SentinelResolver.master(sentinel, connectTimeout: configuration.connectTimeout)
        try self.init(host: master.host, port: master.port, configuration: configuration, handshake: true)
        let role = try execute([[Array("ROLE".utf8)]]).first
        guard role?.array?.first?.text == "master" else {
            close()
            throw .unavailable("\(endpoint): Sentinel names it master of \(sentinel.masterName) but its ROLE is \(role?.description ?? "?")")
        }
    }

    /// Connects to `host:port`, applies the socket timeouts, then (with `handshake`) sends AUTH and SELECT when configured.
    init(host: String, port: Int, configuration: RedisConfiguration, handshake: Bool) throws(RedisError) {
        RedisConnection.ignoreSigpipe()
        self.configuration = configuration
        self.host = host
        self.port = port
        let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.endpoint = endpoint
        guard let context = redisConnectWithTimeout(host, Int32(port), configuration.connectTimeout.timeval)
        else {
            throw .unavailable("\(endpoint): cannot allocate a hiredis context")
        }
        if context.pointee.err != 0 {
            let message = RedisConnection.errorString(context)
            redisFree(context)
            throw .unavailable("\(endpoint): \(message)")
        }
        self.context = context
        self.fileDescriptor = context.pointee.fd
        _ = redisSetTimeout(context, configuration.commandTimeout.timeval)
        _ = redisEnableKeepAlive(context)
        guard handshake else { return }
        do {
            try self.handshake()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func handshake() throws(RedisError) {
        var commands: [[[UInt8]]] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append([Array("AUTH".utf8), Array(username.utf8), Array(password.utf8)])
            } else {
                commands.append([Array("AUTH".utf8), Array(password.utf8)])
            }
        }
        if configuration.database != 0 {
            commands.append([Array("SELECT".utf8), Array(String(configuration.database).utf8)])
        }
        guard !commands.isEmpty else { return }
        for (command, reply) in zip(commands, try execute(commands)) {
            if case .error(let message) = reply {
                let name = String(decoding: command[0], as: UTF8.self)
                throw .unavailable("\(endpoint): \(name) failed: \(message)")
            }
        }
    }

    /// Frees the context (closing the socket). Idempotent.
    func close() {
        if let context {
            redisFree(context)
            self.context = nil
        }
    }

    /// Writes every command in one go, then reads one reply per command, in order.
    /// Error replies come back as `.error`; only connection-level failures throw.
    func execute(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisValue] {
        for command in commands {
            try append(command)
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            replies.append(try readReply())
        }
        return replies
    }

    /// Adds one command to hiredis' output buffer (nothing is written yet).
    func append(_ arguments: [[UInt8]]) throws(RedisError) {
        guard let context else { throw .unavailable("\(endpoint): connection closed") }
        guard !arguments.isEmpty else { throw .protocolError("empty command") }
        // One contiguous buffer holds every argument, so a single closure can hand out stable pointers.
        var blob: [UInt8] = []
        blob.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(blob.count)
            lengths.append(argument.count)
            blob.append(contentsOf: argument)
        }
        blob.append(0)  // never empty, so baseAddress is never nil
        let status = blob.withUnsafeBufferPointer { bytes -> Int32 in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    redisAppendCommandArgv(context, Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
                }
            }
        }
        if status != REDIS_OK {
            throw failure()
        }
    }

    /// Flushes pending output, then blocks (bounded by `commandTimeout`) until one reply is read.
    func readReply() throws(RedisError) -> RedisValue {
        guard let context else { throw .unavailable("\(endpoint): connection closed") }
        var raw: UnsafeMutableRawPointer?
        if redisGetReply(context, &raw) != REDIS_OK {
            throw failure()
        }
        guard let raw else { throw .protocolError("hiredis returned no reply") }
        defer { freeReplyObject(raw) }
        return RedisConnection.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Writes everything hiredis has buffered (blocking, bounded by `commandTimeout`).
    func flush() throws(RedisError) {
        guard let context else { throw .unavailable("\(endpoint): connection closed") }
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(context, &done) != REDIS_OK {
                throw failure()
            }
        }
    }

    /// A reply already parsed from bytes read earlier, without touching the socket.
    func bufferedReply() throws(RedisError) -> RedisValue? {
        guard let context else { throw .unavailable("\(endpoint): connection closed") }
        var raw: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(context, &raw) != REDIS_OK {
            throw failure()
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisConnection.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Reads whatever the socket has into hiredis' reader. Call only when `poll` reported the socket readable.
    func readAvailable() throws(RedisError) {
        guard let context else { throw .unavailable("\(endpoint): connection closed") }
        if redisBufferRead(context) != REDIS_OK {
            throw failure()
        }
    }

    /// Turns the context's error state into a `RedisError`, telling a socket timeout apart from a broken connection.
    private func failure() -> RedisError {
        let savedErrno = errno
        guard let context else { return .unavailable("\(endpoint): connection closed") }
        let message = RedisConnection.errorString(context)
        switch context.pointee.err {
        case REDIS_ERR_PROTOCOL:
            return .protocolError("\(endpoint): \(message)")
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || message.contains("temporarily unavailable"):
            return .timeout("\(endpoint): no reply within \(configuration.commandTimeout)")
        case REDIS_ERR_EOF:
            return .unavailable("\(endpoint): server closed the connection")
        default:
            return .unavailable("\(endpoint): \(message.isEmpty ? "I/O error" : message)")
        }
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING, REDIS_REPLY_STATUS:
            return .string(bytes(r.str, r.len))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(r.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element else { return .array([]) }
            return .array((0..<Int(r.elements)).map { index in elements[index].map(convert) ?? .null })
        default:
            return .error("unsupported reply type \(r.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// hiredis writes with plain `write(2)`, so a peer that vanished would raise SIGPIPE and kill the process.
    private static let sigpipeIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    static func ignoreSigpipe() {
        _ = sigpipeIgnored
    }
}

extension Duration {
    /// The duration as a `timeval` for hiredis' timeouts (at least 1 ms, since zero means "no timeout").
    var timeval: timeval {
        let micros = max(1_000, components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000)
        return Glibc.timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
    }

    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
