import Foundation
import NIOCore
import NIOWebSocket
import SwitchboardProtocol
import Synchronization

/// The end of an upgraded connection's pipeline (after NIOWebSocket's frame decoder and encoder): the WebSocket
/// protocol (RFC 6455: masking, fragments, control frames, the close handshake) and, on `/ws`, the session — all on
/// the channel's event loop, with no task, actor or stream per connection.
///
/// Inbound messages go through the hooks (synchronous) and the router: `ping`/`heartbeat` and refusals are answered
/// here; a frame for a service becomes a call in the connection's FIFO, one at a time, each in a short task. While
/// `maxPendingCalls` wait, the socket is not read (backpressure). Outbound frames are written and flushed at once; the
/// bound on what waits unsent is the channel's high watermark, and a connection that passes it is closed (1008).
final class WebSocketConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler, ConnectionTransport {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum Role: Sendable {
        /// `/ws/echo` (`SWITCHBOARD_WS_ECHO=1`): every message comes back as it was; no auth, hooks or topics.
        case echo
        case session(WebSocketSessions, endpoint: Connection.Endpoint, principal: Principal?, ip: String)
        /// `/socket.io/`: the socket carries one Engine.IO session, which reads its messages and owns its connection.
        case socketIO(SocketIOSessionHandle)
    }

    let settings: WebSocketSettings
    private let role: Role
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private(set) var connection: Connection?
    private var assembler: MessageAssembler
    private let calls = SerialCalls()
    private var closed = false
    /// The edge's close frame is on its way: data frames are ignored from now on.
    private var closeSent = false
    private var closeDeadline: NIODeadline?
    private var nextPing: NIODeadline
    private var awaitingPong = false
    private var readsHeld = false
    private var readPending = false

    /// WebSocket connections on this edge whose close is not complete (socket closed, disconnect hooks run): the
    /// shutdown drain waits for them.
    static let openSockets = Atomic<Int>(0)

    /// How this client reads the edge's frames (what was negotiated at the upgrade).
    private var encoding: WireEncoding
    /// How the client's compressed messages are inflated; nil when permessage-deflate was not negotiated (RSV1 is then
    /// a protocol error).
    private var inbound: PerMessageDeflate.Inbound?
    /// Made on the first compressed message (an idle connection holds none), kept while the client takes context over.
    private var inflater: PerMessageInflater?
    /// The message being assembled came with RSV1: its frames are inflated as they arrive.
    private var messageCompressed = false

    init(role: Role, settings: WebSocketSettings, eventLoop: any EventLoop, encoding: WireEncoding = .plain) {
        self.role = role
        self.encoding = encoding
        self.settings = settings
        self.eventLoop = eventLoop
        assembler = MessageAssembler(limit: settings.messageLimit)
        nextPing = .now() + (settings.pingInterval ?? .seconds(0))
    }

    /// Takes what the upgrade negotiated (before the handler is added to the pipeline): the edge's frames go out
    /// compressed and the client's compressed messages are inflated.
    func adopt(_ agreement: PerMessageDeflate.Agreement) {
        encoding.deflate = true
        encoding.compression = agreement.outbound
        if case .echo = role { encoding.compression.always = true }
        inbound = agreement.inbound
    }

    /// The compression of the edge's frames on this socket; nil when permessage-deflate was not negotiated.
    var outboundCompression: PerMessageDeflate.Outbound? { encoding.deflate ? encoding.compression : nil }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        Self.openSockets.wrappingAdd(1, ordering: .relaxed)
        LoopTicker.current(on: eventLoop).add(self)
        if case .socketIO(let session) = role { session.attach(self, on: eventLoop) }
        guard case .session(let sessions, let endpoint, let principal, let ip) = role else { return }
        let connection = Connection(
            id: sessions.nextID(), endpoint: endpoint, principal: principal, ip: ip, transport: self, eventLoop: eventLoop,
            maxBytes: settings.queueBytes, registry: sessions.context.registry, encoding: encoding)
        self.connection = connection
        sessions.context.registry.add(connection)
        // The greeting comes after the connect hooks; messages that arrive meanwhile wait behind this call.
        enqueueCall(keepAfterClose: true) {
            await sessions.hooks.afterConnect(connection)
            connection.send(sessions.greeting(for: connection))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    /// The socket is gone: queued messages are dropped, the disconnect hooks run after the call in progress.
    private func finish() {
        guard !closed else { return }
        closed = true
        context = nil
        LoopTicker.current(on: eventLoop).remove(self)
        calls.dropClientCalls()
        if case .socketIO(let session) = role {
            let socket = ObjectIdentifier(self)
            session.run { $0.detached(socket) }
        }
        guard let connection, case .session(let sessions, _, _, _) = role else {
            Self.openSockets.wrappingSubtract(1, ordering: .relaxed)
            return
        }
        // Leaves the registry at once; the handler and the connection no longer hold each other once queued work is done.
        connection.markClosing()
        self.connection = nil
        enqueueCall(keepAfterClose: true) {
            await sessions.hooks.onDisconnect(connection)
            Self.openSockets.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client half-closed its side (the edge allows half-closure for HTTP): a WebSocket is over then.
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A frame the decoder refused is answered (1002/1009) and closed by NIOWebSocket's protocol error handler.
        guard !(error is NIOWebSocketError) else { return }
        context.close(promise: nil)
    }

    // MARK: Inbound frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closed else { return }
        guard frame.maskKey != nil else { return fail(1002, "client frames must be masked") }
        if !frame.reservedBits.isEmpty {
            // RSV1 marks a compressed message: on its first frame only, and only once permessage-deflate was agreed.
            guard frame.reservedBits == .rsv1, inbound != nil, frame.opcode == .text || frame.opcode == .binary else {
                return fail(1002, "reserved bits set without an extension")
            }
        }
        awaitingPong = false
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame.unmaskedData, context: context)
        case .ping:
            guard !closeSent else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .text, .binary, .continuation:
            guard !closeSent else { return }
            var payload = frame.unmaskedData
            // A frame the assembler refuses anyway (a continuation without a message, a message inside one) is not inflated.
            let startsMessage = frame.opcode != .continuation
            if startsMessage != assembler.isAssembling {
                if startsMessage { messageCompressed = frame.rsv1 }
                if messageCompressed {
                    switch inflate(payload, startsMessage: startsMessage, fin: frame.fin, context: context) {
                    case .success(let plain): payload = plain
                    case .failure(.tooLarge): return fail(1009, "message larger than \(assembler.limit) bytes")
                    case .failure(.invalid): return fail(1007, "invalid compressed data")
                    }
                }
            }
            switch assembler.add(opcode: frame.opcode, fin: frame.fin, payload: payload) {
            case .partial: break
            case .message(let message, let text): deliver(message, text: text, context: context)
            case .failure(let code, let reason): fail(code, reason)
            }
        default:
            fail(1002, "unknown opcode")
        }
    }

    /// One frame of a compressed message, inflated within what the message limit leaves. The inflater is made on the
    /// first compressed message and, when the client does not take context over, freed after each message.
    private func inflate(
        _ payload: ByteBuffer, startsMessage: Bool, fin: Bool, context: ChannelHandlerContext
    ) -> Result<ByteBuffer, PerMessageInflater.Failure> {
        guard let inbound else { return .failure(.invalid) }
        if inflater == nil { inflater = PerMessageInflater(windowBits: Int(inbound.windowBits), keepsContext: inbound.keepsContext) }
        guard let inflater, !startsMessage || inflater.beginMessage() else { return .failure(.invalid) }
        let result = inflater.inflate(payload, final: fin, room: assembler.room, allocator: context.channel.allocator)
        if fin, !inbound.keepsContext { self.inflater = nil }
        return result
    }

    private func deliver(_ message: ByteBuffer, text: Bool, context: ChannelHandlerContext) {
        if case .socketIO(let session) = role {
            let socket = ObjectIdentifier(self)
            return session.run { $0.received(message, text: text, from: socket) }
        }
        guard case .session(let sessions, _, _, _) = role, let connection else {
            write(encoding.prepare(message), opcode: text ? .text : .binary)
            return
        }
        connection.countInbound()
        // Binary frames carry JSON too; text was checked as it arrived.
        var utf8 = UTF8Validator()
        if !text, !(message.withUnsafeReadableBytes { utf8.feed($0) } && utf8.isComplete) {
            return enqueueAnswer(EdgeFrame.error(.init(code: .invalidMessage, message: "the frame is not valid JSON")))
        }
        let parsed: ClientMessage
        switch ClientMessage.parse(Data(message.readableBytesView)) {
        case .success(let value): parsed = value
        case .failure(let failure): return enqueueAnswer(EdgeFrame.error(failure))
        }
        if case .reject(_, let code, let reason, let retryAfter) = sessions.hooks.beforeMessage(parsed, on: connection) {
            let failure = ProtocolFailure(
                code: ErrorCode(rawValue: code) ?? .rejected, message: reason, requestID: parsed.id,
                details: retryAfter.map { ["retry_after_seconds": String($0)] })
            return enqueueAnswer(EdgeFrame.error(failure))
        }
        switch sessions.router.route(parsed, on: connection) {
        case .answer(let frame):
            enqueueAnswer(frame)
        case .service(let service):
            let router = sessions.router
            enqueueCall(keepAfterClose: false) { await router.forward(parsed, to: service, on: connection) }
        }
    }

    /// The client's close: echo its code and close the socket (RFC 6455 §5.5.1), or complete the close the edge began.
    private func receivedClose(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        switch MessageAssembler.closeCode(of: payload) {
        case .failure(let failure):
            fail(failure.code, failure.code == 1007 ? "close reason is not UTF-8" : "invalid close frame")
        case .success(let code):
            guard !closeSent else {
                context.close(promise: nil)
                return
            }
            closeSent = true
            connection?.markClosing()
            writeClose(code: code, reason: "", context: context)
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7): a close frame with `code`, then the socket is closed.
    private func fail(_ code: UInt16, _ reason: String) {
        guard let context else { return }
        guard !closeSent else {
            context.close(promise: nil)
            return
        }
        closeSent = true
        connection?.markClosing()
        writeClose(code: code, reason: reason, context: context)
    }

    private func writeClose(code: UInt16?, reason: String, context: ChannelHandlerContext, thenClose: Bool = true) {
        var payload = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        if let code {
            payload.writeInteger(code)
            payload.writeString(Self.clipped(reason))
        }
        let done = context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
        guard thenClose else { return }
        let bound = NIOLoopBound(context, eventLoop: eventLoop)
        done.whenComplete { _ in bound.value.close(promise: nil) }
    }

    /// A close reason fits the 123 bytes a control frame leaves, cut at a character boundary.
    private static func clipped(_ reason: String) -> String {
        var text = Substring(reason)
        while text.utf8.count > 123 { text = text.dropLast() }
        return String(text)
    }

    // MARK: Outbound

    /// Writes and flushes one of the edge's frames, prepared for this connection's encoding.
    func write(_ frame: ByteBuffer) {
        write(encoding.prepare(frame))
    }

    /// Writes and flushes one text frame; nothing once the edge's close has gone out.
    func write(_ payload: WirePayload) {
        write(payload, opcode: .text)
    }

    /// A frame whose plain size passes the bound is refused whether or not it would go out compressed, so every
    /// member of a group is treated alike and the notice names the size the client would have read.
    private func write(_ payload: WirePayload, opcode: WebSocketOpcode) {
        guard let context, !closeSent else { return }
        if max(payload.plain.readableBytes, payload.bytes.readableBytes) > settings.queueBytes {
            if let notice = connection?.refusal(ofOversized: payload.plain) { write(notice) }
            return
        }
        var frame = WebSocketFrame(fin: true, opcode: opcode, data: payload.bytes)
        if payload.compressed {
            frame.rsv1 = true
            EdgeCounters.shared.compressedFrameSent()
        }
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        connection?.countSent()
    }

    /// The close the edge asked for (`Connection.requestClose`): the client has `closeTimeout` to answer.
    func startClose(code: UInt16, reason: String) {
        guard let context, !closeSent else { return }
        closeSent = true
        closeDeadline = .now() + settings.closeTimeout
        writeClose(code: code, reason: reason, context: context, thenClose: false)
    }

    /// Past the high watermark the client is not reading: cut it off (1008) without waiting for anyone.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable, !closeSent {
            EdgeCounters.shared.slowConsumerClosed()
            closeSent = true
            connection?.markClosing()
            // The close frame waits behind everything unsent, so the socket is closed without waiting for it.
            writeClose(code: 1008, reason: "slow consumer", context: context, thenClose: false)
            context.close(promise: nil)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Calls, in order

    private func enqueueAnswer(_ frame: ByteBuffer) {
        calls.answer(frame) { write($0) }
    }

    func enqueueCall(keepAfterClose: Bool, _ body: @escaping @Sendable () async -> Void) {
        if closed, !keepAfterClose { return }
        calls.append(.call(body, keepAfterClose: keepAfterClose))
        if calls.waiting >= settings.maxPendingCalls { readsHeld = true }
        pump()
    }

    private func pump() {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        calls.pump(write: { write($0) }, eventLoop: eventLoop) {
            bound.value.calls.finished()
            bound.value.pump()
        }
        if readsHeld, calls.waiting < settings.maxPendingCalls / 2 {
            readsHeld = false
            if readPending, let context {
                readPending = false
                context.read()
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsHeld {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Timers (`LoopTicker`)

    func tick(now: NIODeadline) {
        guard let context else { return }
        if let closeDeadline {
            if now >= closeDeadline { context.close(promise: nil) }
            return
        }
        guard let interval = settings.pingInterval, !closeSent, now >= nextPing else { return }
        if awaitingPong {
            // Nothing came back since the last ping: the peer is gone.
            context.close(promise: nil)
            return
        }
        awaitingPong = true
        nextPing = now + interval
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
    }
}
