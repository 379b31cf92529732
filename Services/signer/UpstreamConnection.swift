import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One WebSocket connection to the e-port signing client: handshake, requests out, replies matched back to their callers.
///
/// The connection is a NIO channel with `UpstreamFrameHandler` at its end: a reply is parsed and handed to its caller
/// on the event loop that read it, with no task or actor per connection in between (a `WSClient` per pooled connection
/// cost a task group, an async iterator hop per frame and an awaited writer per request). It is `open` only after the
/// `open` handshake frame. In serial mode it carries one request at a time and a caller that gives up (deadline passed)
/// *discards* the connection, so a late reply can never reach the next caller — the flaw of the bridge this replaces.
/// In multiplex mode several requests share it and replies are matched by `_id`; a late reply finds no caller and is
/// dropped.
final class UpstreamConnection: UpstreamFrameHandler.Sink {
    enum Phase: Sendable {
        case connecting
        case open(any Channel)
        case closed(UpstreamError)
    }

    private struct State {
        var phase: Phase = .connecting
        var channel: (any Channel)?
        var openWaiters: [Int: OneShot<Void>] = [:]
        var pending: [Int: OneShot<EPortReply>] = [:]
        var nextWaiter = 0
    }

    let number: Int
    let multiplex: Bool
    private let url: String
    private let logger: Logger
    private let state = Mutex(State())

    static let maxMessageBytes = 8 << 20
    static let connectTimeout = TimeAmount.seconds(10)

    /// Starts connecting at once; callers wait for the handshake with `waitUntilOpen()`.
    init(number: Int, url: String, multiplex: Bool, logger: Logger) {
        self.number = number
        self.url = url
        self.multiplex = multiplex
        self.logger = logger
        connect()
    }

    var isClosed: Bool {
        state.withLock { if case .closed = $0.phase { true } else { false } }
    }

    var isOpen: Bool {
        state.withLock { if case .open = $0.phase { true } else { false } }
    }

    /// Waits for the handshake; throws the connect or handshake error, or `.closed` when the wait is cancelled.
    func waitUntilOpen() async throws(UpstreamError) {
        let waiter = OneShot<Void>()
        let key: Int? = state.withLock { state in
            switch state.phase {
            case .open:
                waiter.complete(.success(()))
                return nil
            case .closed(let error):
                waiter.complete(.failure(error))
                return nil
            case .connecting:
                state.nextWaiter += 1
                state.openWaiters[state.nextWaiter] = waiter
                return state.nextWaiter
            }
        }
        if key == nil, let ready = waiter.result {
            try ready.get()
            return
        }
        let result = await waiter.wait { [self] in
            if let key { _ = state.withLock { $0.openWaiters.removeValue(forKey: key) } }
            waiter.complete(.failure(.closed("等待握手时被取消")))
        }
        try result.get()
    }

    /// Sends one request frame and waits for its reply. Cancellation (the deadline) abandons the request: in serial
    /// mode the connection is closed so its late reply dies with it; in multiplex mode the late reply is dropped by `_id`.
    func call(id: Int, frame: String) async throws(UpstreamError) -> EPortReply {
        let reply = OneShot<EPortReply>()
        let channel: any Channel = try state.withLock { (state) throws(UpstreamError) -> any Channel in
            switch state.phase {
            case .open(let channel):
                state.pending[id] = reply
                return channel
            case .closed(let error): throw .closed("\(error)")
            case .connecting: throw .closed("连接尚未完成握手")
            }
        }
        var buffer = channel.allocator.buffer(capacity: frame.utf8.count)
        buffer.writeString(frame)
        channel.writeAndFlush(UpstreamFrameHandler.textFrame(buffer)).whenFailure { [self] error in
            close(.closed("发送请求失败: \(error)"))
        }
        let result = await reply.wait { [self] in
            let abandoned = state.withLock { $0.pending.removeValue(forKey: id) }
            guard let abandoned else { return }
            abandoned.complete(.failure(.closed("请求已放弃")))
            if !multiplex {
                close(.closed("请求超时后丢弃此连接，迟到的响应不会交给后续请求"))
            }
        }
        return try result.get()
    }

    /// Closes the connection and fails everything waiting on it with `error`.
    func close(_ error: UpstreamError) {
        let (openWaiters, pending, channel): ([OneShot<Void>], [OneShot<EPortReply>], (any Channel)?) = state.withLock { state in
            if case .closed = state.phase { return ([], [], nil) }
            state.phase = .closed(error)
            defer {
                state.openWaiters = [:]
                state.pending = [:]
            }
            return (Array(state.openWaiters.values), Array(state.pending.values), state.channel)
        }
        for waiter in openWaiters { waiter.complete(.failure(error)) }
        for waiter in pending { waiter.complete(.failure(error)) }
        channel?.close(promise: nil)
    }

    // MARK: The channel

    private func connect() {
        guard let target = UpstreamURL(url) else {
            close(.connect("\(url): 不是有效的 ws:// 或 wss:// 地址"))
            return
        }
        let tls: UpstreamTLS?
        do {
            tls = target.secure ? try UpstreamTLS(serverHostname: target.host) : nil
        } catch {
            close(.connect("\(url): TLS: \(error)"))
            return
        }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(Self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                do {
                    try UpstreamFrameHandler.configure(channel, target: target, tls: tls, connection: self)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: target.host, port: target.port).whenComplete { [self] result in
            switch result {
            case .success(let channel):
                let closed = state.withLock { state in
                    state.channel = channel
                    if case .closed = state.phase { return true }
                    return false
                }
                if closed { channel.close(promise: nil) }
            case .failure(let error):
                close(.connect("\(url): \(error)"))
            }
        }
    }

    /// The `open` frame arrived and checked out.
    func opened(_ channel: any Channel) {
        let waiters: [OneShot<Void>] = state.withLock { state in
            guard case .connecting = state.phase else { return [] }
            state.phase = .open(channel)
            state.channel = channel
            defer { state.openWaiters = [:] }
            return Array(state.openWaiters.values)
        }
        logger.debug("upstream connection \(number) open")
        for waiter in waiters { waiter.complete(.success(())) }
    }

    /// The channel closed; `stage` says how far it got, which decides the error its waiters see.
    func channelClosed(_ stage: UpstreamFrameHandler.Stage) {
        switch stage {
        case .upgrading: close(.connect("\(url): 连接在 WebSocket 升级前关闭"))
        case .awaitingOpen: close(.handshake("连接建立后未收到 open 帧"))
        case .open: close(.closed("签名服务关闭了连接"))
        }
    }

    /// Routes one reply frame to its caller. Serial mode: the single outstanding request, unless the reply names another
    /// `_id` (a stale reply, dropped). Multiplex mode: by `_id` only; a reply without one is a protocol error.
    func deliver(_ text: String) {
        guard let reply = EPortFrames.parseReply(text) else {
            if multiplex {
                close(.malformed("非 JSON 响应（多路复用模式下无法匹配请求）: \(EPortFrames.excerpt(text))"))
            } else {
                let target = state.withLock { state -> OneShot<EPortReply>? in
                    guard let key = state.pending.keys.first else { return nil }
                    return state.pending.removeValue(forKey: key)
                }
                target?.complete(.failure(.malformed("非 JSON 响应: \(EPortFrames.excerpt(text))")))
            }
            return
        }
        let echoed = reply.id.flatMap { $0 == 0 ? nil : $0 }
        if multiplex {
            guard let echoed else {
                close(.malformed("响应没有 _id，多路复用模式需要签名服务回显 _id"))
                return
            }
            let target = state.withLock { $0.pending.removeValue(forKey: echoed) }
            if let target {
                target.complete(.success(reply))
            } else {
                logger.debug("dropping a reply for _id \(echoed): its caller is gone")
            }
            return
        }
        let target = state.withLock { state -> OneShot<EPortReply>? in
            guard let key = state.pending.keys.first else { return nil }
            if let echoed, echoed != key { return nil }
            return state.pending.removeValue(forKey: key)
        }
        if let target {
            target.complete(.success(reply))
        } else {
            logger.warning("dropping a reply nobody waits for (_id \(reply.id.map(String.init) ?? "none")) on connection \(number)")
        }
    }
}
