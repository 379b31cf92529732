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

    /// A request waiting for its reply: the method it called (a reply naming another is not its), its block transfer
    /// while the client is still asking for blocks, and its deadline once armed on the event loop.
    private struct Pending {
        let reply: OneShot<EPortReply>
        let method: String
        var transfer: EPortBlocks.Transfer?
        var timer: Scheduled<Void>?

        /// Disarms the deadline and hands the caller its outcome (the first one wins, see `OneShot`).
        func finish(_ result: Result<EPortReply, UpstreamError>) {
            timer?.cancel()
            reply.complete(result)
        }
    }

    private struct State {
        var phase: Phase = .connecting
        var channel: (any Channel)?
        var openWaiters: [Int: OneShot<Void>] = [:]
        var pending: [Int: Pending] = [:]
        /// Block transfer GUID → request `_id`.
        var transfers: [String: Int] = [:]
        var nextWaiter = 0
    }

    let number: Int
    let multiplex: Bool
    /// Send frames the SDK would split (over 120 KB) as `BLOCKTXT` blocks (`SWITCHBOARD_SIGNER_BLOCK_FRAMES`).
    let blockFrames: Bool
    private let url: String
    private let logger: Logger
    private let state = Mutex(State())

    static let maxMessageBytes = 8 << 20
    static let connectTimeout = TimeAmount.seconds(10)

    /// Starts connecting at once; callers wait for the handshake with `waitUntilOpen()`.
    init(number: Int, url: String, multiplex: Bool, blockFrames: Bool = false, logger: Logger) {
        self.number = number
        self.url = url
        self.multiplex = multiplex
        self.blockFrames = blockFrames
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
        // The usual case, a connection already open, costs one lock and no allocation.
        if isOpen { return }
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

    /// Sends one request frame (block 0 of it, in block mode, when it is too long for one) and waits for its reply until
    /// `deadline`, then fails with `.timeout(timeout)`.
    ///
    /// The deadline is armed on the channel's event loop in the same hop as the write, and the reply, read on that loop,
    /// disarms it there: the timer costs the loop no wake-up of its own (an event-loop task scheduled and cancelled from
    /// the caller's thread cost two per request, `DeadlineTimer`). The deadline or a cancelled wait abandons the request:
    /// in serial mode the connection is closed so its late reply dies with it; in multiplex mode the late reply is
    /// dropped by `_id`.
    func call(id: Int, method: String, frame: String, deadline: NIODeadline, timeout: Duration) async throws(UpstreamError) -> EPortReply {
        let reply = OneShot<EPortReply>()
        let transfer = blockFrames ? EPortBlocks.transfer(for: frame) : nil
        let channel: any Channel = try state.withLock { (state) throws(UpstreamError) -> any Channel in
            switch state.phase {
            case .open(let channel):
                state.pending[id] = Pending(reply: reply, method: method, transfer: transfer)
                if let transfer { state.transfers[transfer.guid] = id }
                return channel
            case .closed(let error): throw .closed("\(error)")
            case .connecting: throw .closed("连接尚未完成握手")
            }
        }
        let first = transfer.flatMap { $0.frame(0) } ?? frame
        let loop = channel.eventLoop
        loop.execute { [self] in
            // On the loop: scheduling here wakes nothing, and the reply that disarms the timer is read here too.
            let timer = loop.scheduleTask(deadline: deadline) { [self] in abandon(id, because: .timeout(timeout)) }
            let waiting = state.withLock { state in
                guard state.pending[id] != nil else { return false }
                state.pending[id]?.timer = timer
                return true
            }
            // Abandoned (or the connection closed) before the loop got here: nothing to send, nothing to time.
            guard waiting else {
                timer.cancel()
                return
            }
            send(first, on: channel)
        }
        let result = await reply.wait { [self] in abandon(id, because: .closed("请求已放弃")) }
        return try result.get()
    }

    /// Gives up on request `id` (its deadline passed, or its caller's task was cancelled). In serial mode the connection
    /// goes with it, so the reply the client may still send can never reach the next caller.
    private func abandon(_ id: Int, because error: UpstreamError) {
        let abandoned = state.withLock { state in self.remove(id, from: &state) }
        guard let abandoned else { return }
        abandoned.finish(.failure(error))
        if !multiplex {
            close(.closed("请求超时后丢弃此连接，迟到的响应不会交给后续请求"))
        }
    }

    private func send(_ frame: String, on channel: any Channel) {
        var buffer = channel.allocator.buffer(capacity: frame.utf8.count)
        buffer.writeString(frame)
        channel.writeAndFlush(UpstreamFrameHandler.textFrame(buffer)).whenFailure { [self] error in
            close(.closed("发送请求失败: \(error)"))
        }
    }

    /// Takes request `id` out of the state, with its block transfer.
    private func remove(_ id: Int, from state: inout State) -> Pending? {
        guard let pending = state.pending.removeValue(forKey: id) else { return nil }
        if let guid = pending.transfer?.guid { state.transfers[guid] = nil }
        return pending
    }

    /// Closes the connection and fails everything waiting on it with `error`.
    func close(_ error: UpstreamError) {
        let (openWaiters, pending, channel): ([OneShot<Void>], [Pending], (any Channel)?) = state.withLock { state in
            if case .closed = state.phase { return ([], [], nil) }
            state.phase = .closed(error)
            defer {
                state.openWaiters = [:]
                state.pending = [:]
                state.transfers = [:]
            }
            return (Array(state.openWaiters.values), Array(state.pending.values), state.channel)
        }
        for waiter in openWaiters { waiter.complete(.failure(error)) }
        for request in pending { request.finish(.failure(error)) }
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

    /// Routes one frame to its caller. A `_nextBlock` goes to the block transfer it names by GUID. A reply: serial mode
    /// gives it to the single outstanding request unless it names another `_id` or `_method` (a stale or stray reply,
    /// dropped); multiplex mode matches by `_id` only, and a reply without one is a protocol error.
    func deliver(_ text: String) {
        let reply: EPortReply
        switch EPortFrames.parse(text) {
        case .notJSON:
            if multiplex {
                close(.malformed("非 JSON 响应（多路复用模式下无法匹配请求）: \(EPortFrames.excerpt(text))"))
            } else {
                let target = state.withLock { state -> Pending? in
                    guard let key = state.pending.keys.first else { return nil }
                    return remove(key, from: &state)
                }
                target?.finish(.failure(.malformed("非 JSON 响应: \(EPortFrames.excerpt(text))")))
            }
            return
        case .nextBlock(let next):
            sendBlock(next)
            return
        case .reply(let parsed):
            reply = parsed
        }
        if reply.foreignID {
            logger.warning("dropping a reply with a foreign _id on connection \(number): \(EPortFrames.excerpt(text))")
            return
        }
        let echoed = reply.id.flatMap { $0 == 0 ? nil : $0 }
        if multiplex {
            guard let echoed else {
                close(.malformed("响应没有 _id，多路复用模式需要签名服务回显 _id"))
                return
            }
            let target = state.withLock { state in remove(echoed, from: &state) }
            if let target {
                target.finish(.success(reply))
            } else {
                logger.debug("dropping a reply for _id \(echoed): its caller is gone")
            }
            return
        }
        let target = state.withLock { state -> Pending? in
            guard let (key, pending) = state.pending.first else { return nil }
            if let echoed, echoed != key { return nil }
            if let method = reply.method, !method.isEmpty, method != pending.method { return nil }
            return remove(key, from: &state)
        }
        if let target {
            target.finish(.success(reply))
        } else {
            logger.warning(
                "dropping a reply nobody waits for (_id \(reply.id.map(String.init) ?? "none"), \(reply.method ?? "no _method")) on connection \(number)"
            )
        }
    }

    /// Answers a `_nextBlock`: sends the block it asks for, again after a `Result:false` (at most the SDK's 3 × blocks
    /// times, then the request fails). `finish` ends the transfer; the request's own reply follows.
    private func sendBlock(_ next: EPortBlocks.NextBlock) {
        enum Step {
            case send(String, any Channel)
            case fail(Pending, UpstreamError)
            case none
        }
        let step: Step = state.withLock { state in
            guard let id = state.transfers[next.guid], var pending = state.pending[id], var transfer = pending.transfer else { return .none }
            if next.finish {
                state.transfers[next.guid] = nil
                pending.transfer = nil
                state.pending[id] = pending
                return .none
            }
            guard case .open(let channel) = state.phase else { return .none }
            if next.retry { transfer.retries += 1 }
            guard transfer.retries <= transfer.retryLimit else {
                return .fail(remove(id, from: &state) ?? pending, .rejected(["数据接收错误: 分块重传超过 \(transfer.retryLimit) 次"]))
            }
            guard let number = next.next, let frame = transfer.frame(number) else {
                let asked = next.next.map(String.init) ?? "none"
                return .fail(
                    remove(id, from: &state) ?? pending, .malformed("_nextBlock 请求了不存在的分块 \(asked)（共 \(transfer.blocks.count) 块）"))
            }
            pending.transfer = transfer
            state.pending[id] = pending
            return .send(frame, channel)
        }
        switch step {
        case .send(let frame, let channel): send(frame, on: channel)
        case .fail(let request, let error):
            request.finish(.failure(error))
            // The client may still answer the abandoned request: in serial mode that answer must die with the connection.
            if !multiplex { close(.closed("分块传输失败后丢弃此连接")) }
        case .none:
            logger.debug("ignoring _nextBlock for transfer \(next.guid) (finished, unknown or gone)")
        }
    }
}
