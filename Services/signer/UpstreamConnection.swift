import Foundation
import Logging
import Synchronization
import WSClient

/// One WebSocket connection to the e-port signing client: handshake, requests out, replies matched back to their callers.
///
/// The connection runs in its own task for its whole life. It is `open` only after the `open` handshake frame. In serial
/// mode it carries one request at a time and a caller that gives up (deadline passed) *discards* the connection, so a
/// late reply can never reach the next caller — the flaw of the bridge this replaces. In multiplex mode several
/// requests share it and replies are matched by `_id`; a late reply finds no caller and is dropped.
final class UpstreamConnection: Sendable {
    enum Phase: Sendable {
        case connecting
        case open(WebSocketOutboundWriter)
        case closed(UpstreamError)
    }

    private struct State {
        var phase: Phase = .connecting
        var openWaiters: [Int: OneShot<Void>] = [:]
        var pending: [Int: OneShot<EPortReply>] = [:]
        var nextWaiter = 0
        var task: Task<Void, Never>?
    }

    let number: Int
    let multiplex: Bool
    private let url: String
    private let logger: Logger
    private let state = Mutex(State())

    static let maxMessageBytes = 8 << 20

    /// Starts connecting at once; callers wait for the handshake with `waitUntilOpen()`.
    init(number: Int, url: String, multiplex: Bool, logger: Logger) {
        self.number = number
        self.url = url
        self.multiplex = multiplex
        self.logger = logger
        let task = Task { [self] in await self.run() }
        state.withLock { $0.task = task }
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
        let writer: WebSocketOutboundWriter = try state.withLock { (state) throws(UpstreamError) -> WebSocketOutboundWriter in
            switch state.phase {
            case .open(let writer):
                state.pending[id] = reply
                return writer
            case .closed(let error): throw .closed("\(error)")
            case .connecting: throw .closed("连接尚未完成握手")
            }
        }
        do {
            try await writer.writeTextMessage(frame)
        } catch is CancellationError {
            // Not written; the wait below sees the cancellation and abandons the request.
        } catch {
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
        let (openWaiters, pending, task): ([OneShot<Void>], [OneShot<EPortReply>], Task<Void, Never>?) = state.withLock { state in
            if case .closed = state.phase { return ([], [], nil) }
            state.phase = .closed(error)
            defer {
                state.openWaiters = [:]
                state.pending = [:]
            }
            return (Array(state.openWaiters.values), Array(state.pending.values), state.task)
        }
        for waiter in openWaiters { waiter.complete(.failure(error)) }
        for waiter in pending { waiter.complete(.failure(error)) }
        task?.cancel()
    }

    private func run() async {
        var configuration = WebSocketClientConfiguration(maxFrameSize: Self.maxMessageBytes, closeTimeout: .seconds(1))
        configuration.validateUTF8 = false
        do {
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: Self.maxMessageBytes).makeAsyncIterator()
                guard let first = try await messages.next() else {
                    self.close(.handshake("连接建立后未收到 open 帧"))
                    return
                }
                guard case .text(let text) = first else {
                    self.close(.handshake("首帧不是文本帧"))
                    return
                }
                do throws(UpstreamError) {
                    try EPortFrames.checkHandshake(text)
                } catch {
                    self.close(error)
                    return
                }
                self.opened(outbound)
                while let message = try await messages.next() {
                    guard case .text(let text) = message else { continue }
                    self.deliver(text)
                    if self.isClosed { return }
                }
            }
            close(.closed("签名服务关闭了连接"))
        } catch is CancellationError {
            close(.closed("连接已关闭"))
        } catch {
            let wasConnecting = state.withLock { if case .connecting = $0.phase { true } else { false } }
            close(wasConnecting ? .connect("\(url): \(error)") : .closed("\(error)"))
        }
    }

    private func opened(_ writer: WebSocketOutboundWriter) {
        let waiters: [OneShot<Void>] = state.withLock { state in
            guard case .connecting = state.phase else { return [] }
            state.phase = .open(writer)
            defer { state.openWaiters = [:] }
            return Array(state.openWaiters.values)
        }
        logger.debug("upstream connection \(number) open")
        for waiter in waiters { waiter.complete(.success(())) }
    }

    /// Routes one reply frame to its caller. Serial mode: the single outstanding request, unless the reply names another
    /// `_id` (a stale reply, dropped). Multiplex mode: by `_id` only; a reply without one is a protocol error.
    private func deliver(_ text: String) {
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
