import Foundation
import NIOCore
import SwitchboardProtocol

/// One Socket.IO client on this edge: the Engine.IO session (long-polling, the upgrade, WebSocket), its Socket.IO
/// `CONNECT`, and the `Connection` it carries once connected, so rooms, groups and topics reach it like any `/ws` client.
///
/// Everything runs on the session's event loop. The WebSocket, when there is one, is an ordinary
/// `WebSocketConnectionHandler` (RFC 6455 stays there) in its `socketIO` role, possibly on another loop: the session
/// hops to it to write, and it hops here with what it read. Outbound frames arrive already converted to Socket.IO
/// events (`WireEncoding.socketIO`); the session only decides which transport carries them. Client events become
/// client frames and go through the same hooks, router and per-connection FIFO of service calls as `/ws`.
final class SocketIOSession: ConnectionTransport {
    let sid: String
    let eventLoop: any EventLoop
    private let owner: SocketIOSessions
    private let handshake: SocketIOHandshake
    /// Opened as a WebSocket (`transport=websocket` without a sid): the open packet goes on the socket.
    private let direct: Bool

    /// What carries packets to the client now.
    private enum Carrier {
        case polling
        /// A WebSocket asked to take over; polling carries packets until the client's `5`.
        case probing(WebSocketLink)
        case websocket(WebSocketLink)
    }

    private var carrier = Carrier.polling
    private var pollQueue: [ByteBuffer] = []
    private var pollQueueBytes = 0
    private var pendingPoll: EventLoopPromise<ByteBuffer>?
    private var connection: Connection?
    private var connecting = false
    private var closed = false
    private var awaitingPong = false
    private var timer: Scheduled<Void>?
    private var connectTimer: Scheduled<Void>?
    private let calls = SerialCalls()

    init(sid: String, owner: SocketIOSessions, handshake: SocketIOHandshake, direct: Bool, eventLoop: any EventLoop) {
        self.sid = sid
        self.owner = owner
        self.handshake = handshake
        self.direct = direct
        self.eventLoop = eventLoop
    }

    var handle: SocketIOSessionHandle { SocketIOSessionHandle(sid: sid, eventLoop: eventLoop, session: NIOLoopBound(self, eventLoop: eventLoop)) }

    /// Starts the ping cycle and the wait for `CONNECT`.
    func start() {
        schedulePing()
        let handle = self.handle
        connectTimer = eventLoop.scheduleTask(in: owner.settings.connectTimeout) {
            handle.session.value.connectionTimedOut()
        }
    }

    private func connectionTimedOut() {
        if connection == nil { close(reason: "no Socket.IO CONNECT in time", notify: false) }
    }

    // MARK: Polling

    /// A GET on the session: what is queued at once, otherwise the next packets when they come (the ping bounds the
    /// wait). Nil: the request is refused (a GET is already waiting, the session upgraded, or it is over).
    func poll() -> EventLoopFuture<ByteBuffer>? {
        guard !closed, pendingPoll == nil else { return nil }
        if case .websocket = carrier { return nil }
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        pendingPoll = promise
        answerPoll()
        return promise.futureResult
    }

    /// A POST's packets, in order.
    func received(polled packets: [ByteBuffer]) {
        for packet in packets where !closed { receive(packet) }
    }

    private func answerPoll() {
        guard let promise = pendingPoll, !pollQueue.isEmpty else { return }
        pendingPoll = nil
        let body = EngineIOPacket.joined(pollQueue)
        pollQueue.removeAll()
        pollQueueBytes = 0
        promise.succeed(body)
    }

    // MARK: WebSocket

    /// The WebSocket of this session is open: a direct one gets the open packet, an upgrade waits for `2probe`.
    func attached(_ link: WebSocketLink) {
        guard !closed else { return link.close() }
        switch carrier {
        case .polling where direct:
            carrier = .websocket(link)
            link.write(owner.openPacket(sid: sid, upgrades: []))
        case .polling:
            carrier = .probing(link)
        case .probing, .websocket:
            // One WebSocket per session.
            link.close()
        }
    }

    func received(_ message: ByteBuffer, text: Bool, from socket: ObjectIdentifier) {
        guard !closed else { return }
        guard text else {
            return answer(Self.binaryRefusal, ack: nil)
        }
        switch (carrier, EngineIOPacket.decode(message)) {
        case (.probing(let link), .ping(probe: true)) where link.id == socket:
            link.write(EngineIOPacket.probeAnswer)
            // The client pauses polling: the GET it left waiting is released.
            if let promise = pendingPoll {
                pendingPoll = nil
                promise.succeed(EngineIOPacket.noopPacket)
            }
        case (.probing(let link), .upgrade) where link.id == socket:
            carrier = .websocket(link)
            if let promise = pendingPoll {
                pendingPoll = nil
                promise.succeed(EngineIOPacket.noopPacket)
            }
            for packet in pollQueue { link.write(packet) }
            pollQueue.removeAll()
            pollQueueBytes = 0
        case (.websocket(let link), _) where link.id == socket:
            receive(message)
        default:
            break
        }
    }

    /// The session's WebSocket closed: over for a session it carried; a failed probe falls back to polling.
    func detached(_ socket: ObjectIdentifier) {
        switch carrier {
        case .websocket(let link) where link.id == socket: close(reason: "transport close", notify: false)
        case .probing(let link) where link.id == socket: carrier = .polling
        default: break
        }
    }

    // MARK: Engine.IO packets

    private func receive(_ packet: ByteBuffer) {
        switch EngineIOPacket.decode(packet) {
        case .pong:
            guard awaitingPong else { return }
            awaitingPong = false
            timer?.cancel()
            schedulePing()
        case .ping(let probe):
            send(probe ? EngineIOPacket.probeAnswer : EngineIOPacket.pongPacket)
        case .message(let text):
            receiveSocketIO(text)
        case .close:
            close(reason: "client close", notify: false)
        case .noop, .upgrade:
            break
        case .binary:
            answer(Self.binaryRefusal, ack: nil)
        case .open, nil:
            answer(EdgeFrame.error(.init(code: .invalidMessage, message: "not an Engine.IO packet")), ack: nil)
        }
    }

    private func schedulePing() {
        let handle = self.handle
        timer = eventLoop.scheduleTask(in: owner.settings.pingInterval) { handle.session.value.ping() }
    }

    private func ping() {
        guard !closed else { return }
        awaitingPong = true
        send(EngineIOPacket.pingPacket)
        let handle = self.handle
        timer = eventLoop.scheduleTask(in: owner.settings.pingTimeout) {
            let session = handle.session.value
            if session.awaitingPong { session.close(reason: "ping timeout", notify: false) }
        }
    }

    // MARK: Socket.IO packets

    private func receiveSocketIO(_ text: ByteBuffer) {
        guard let packet = SocketIOPacket.decode(text) else {
            return answer(EdgeFrame.error(.init(code: .invalidMessage, message: "not a Socket.IO packet")), ack: nil)
        }
        switch packet.kind {
        case .connect:
            guard packet.namespace == "/" else {
                return send(SocketIOPacket.connectError(namespace: packet.namespace, message: "only the default namespace / is served here"))
            }
            guard connection == nil, !connecting else { return }
            connect(packet)
        case .disconnect:
            if packet.namespace == "/" { close(reason: "client disconnect", notify: false) }
        case .event:
            guard let connection else { return }
            guard packet.namespace == "/" else {
                return answer(
                    EdgeFrame.error(.init(code: .invalidMessage, message: "only the default namespace / is served here")), ack: packet.ackID)
            }
            deliver(packet, on: connection)
        case .binaryEvent, .binaryAck:
            answer(Self.binaryRefusal, ack: nil)
        case .ack, .connectError:
            break
        }
    }

    static let binaryRefusal = EdgeFrame.error(.init(code: .invalidMessage, message: "binary events are not supported: send JSON"))

    /// `CONNECT`: the token from the auth payload, else the handshake's `Authorization` or `?token=`; then the same
    /// admission hooks as a `/ws` upgrade. A refusal is a `CONNECT_ERROR` with its message.
    private func connect(_ packet: SocketIOPacket) {
        connecting = true
        let handle = self.handle
        let handshake = self.handshake
        let authenticator = owner.authenticator
        let hooks = owner.shared.hooks
        let authToken = packet.authToken()
        Task {
            let decision = await SocketIOSession.decide(authToken, handshake: handshake, authenticator: authenticator, hooks: hooks)
            handle.run { $0.connected(decision) }
        }
    }

    private static func decide(
        _ authToken: Result<String?, ProtocolFailure>, handshake: SocketIOHandshake, authenticator: Authenticator, hooks: HookChain
    ) async -> Result<Principal?, ProtocolFailure> {
        let token: String?
        switch authToken {
        case .failure(let failure): return .failure(failure)
        case .success(let value): token = value
        }
        let outcome: Authenticator.Outcome
        if let token {
            outcome = await authenticator.authenticate(headers: [:], queryToken: token)
        } else {
            outcome = await authenticator.authenticate(headers: handshake.authorization, queryToken: handshake.queryToken)
        }
        switch outcome {
        case .anonymous: return await admit(nil, hooks: hooks, ip: handshake.ip)
        case .authenticated(let verified): return await admit(verified.principal, hooks: hooks, ip: handshake.ip)
        case .rejected(let rejection): return .failure(.init(code: .unauthorized, message: "\(rejection.code): \(rejection.message)"))
        }
    }

    private static func admit(_ principal: Principal?, hooks: HookChain, ip: String) async -> Result<Principal?, ProtocolFailure> {
        switch hooks.beforeConnect(ConnectionAttempt(endpoint: .main, principal: principal, ip: ip)) {
        case .proceed: return .success(principal)
        case .reject(_, let code, let message, _): return .failure(.init(code: .rejected, message: "\(code): \(message)"))
        }
    }

    private func connected(_ decision: Result<Principal?, ProtocolFailure>) {
        connecting = false
        guard !closed else { return }
        let principal: Principal?
        switch decision {
        case .failure(let failure): return send(SocketIOPacket.connectError(namespace: "/", message: failure.message))
        case .success(let value): principal = value
        }
        connectTimer?.cancel()
        let shared = owner.shared
        // A session opened as a compressing WebSocket stays on it: its fan-out frames are compressed once for all such
        // members. An upgraded session's encoding was fixed while it polled; its socket compresses each packet itself.
        var encoding = WireEncoding(socketIO: true)
        if case .websocket(let link) = carrier, direct, let compression = link.compression {
            encoding.deflate = true
            encoding.compression = compression
        }
        let connection = Connection(
            id: shared.nextID(), endpoint: .main, principal: principal, ip: handshake.ip, transport: self, eventLoop: eventLoop,
            maxBytes: shared.settings.queueBytes, registry: shared.context.registry, encoding: encoding)
        self.connection = connection
        WebSocketConnectionHandler.openSockets.wrappingAdd(1, ordering: .relaxed)
        shared.context.registry.add(connection)
        let handle = self.handle
        enqueueCall(keepAfterClose: true) {
            await shared.hooks.afterConnect(connection)
            handle.run { $0.send(SocketIOPacket.connected(sid: connection.id)) }
            connection.send(shared.greeting(for: connection))
        }
    }

    /// An event from the client: through the hooks and the router like a `/ws` frame. With an ack id, the first reply
    /// frame of the command comes back as the acknowledgement instead of an event.
    private func deliver(_ packet: SocketIOPacket, on connection: Connection) {
        connection.countInbound()
        let ack = packet.ackID
        guard calls.waiting < owner.shared.settings.maxPendingCalls else {
            return answer(EdgeFrame.error(.init(code: .rateLimited, message: "too many commands waiting on this connection")), ack: ack)
        }
        let message: ClientMessage
        switch packet.clientMessage() {
        case .success(let value): message = value
        case .failure(let failure): return answer(EdgeFrame.error(failure), ack: ack)
        }
        let shared = owner.shared
        if case .reject(_, let code, let reason, let retryAfter) = shared.hooks.beforeMessage(message, on: connection) {
            let failure = ProtocolFailure(
                code: ErrorCode(rawValue: code) ?? .rejected, message: reason, requestID: message.id,
                details: retryAfter.map { ["retry_after_seconds": String($0)] })
            return answer(EdgeFrame.error(failure), ack: ack)
        }
        switch shared.router.route(message, on: connection) {
        case .answer(let frame):
            answer(frame, ack: ack)
        case .service(let service):
            let router = shared.router
            let acknowledge: ReplyAcknowledgement? = ack.map { id in
                let handle = self.handle
                return { frame in handle.run { $0.send(SocketIOPacket.ack(id, fromFrame: frame)) } }
            }
            enqueueCall(keepAfterClose: false) { await router.forward(message, to: service, on: connection, acknowledge: acknowledge) }
        }
    }

    /// A frame answered here, kept behind earlier calls: an event, or the acknowledgement when the emit asked for one.
    private func answer(_ frame: ByteBuffer, ack: Int?) {
        let packet = ack.map { SocketIOPacket.ack($0, fromFrame: frame) } ?? SocketIOPacket.event(fromFrame: frame)
        calls.answer(packet) { send($0) }
    }

    // MARK: Outbound

    /// One Engine.IO packet on the current transport. Polling holds at most the connection's byte bound; past it the
    /// client is not reading and is dropped, as a WebSocket is past its high watermark.
    private func send(_ packet: ByteBuffer) {
        guard !closed else { return }
        if case .websocket(let link) = carrier { return link.write(packet) }
        pollQueue.append(packet)
        pollQueueBytes += packet.readableBytes
        if pollQueueBytes > owner.shared.settings.queueBytes {
            EdgeCounters.shared.slowConsumerClosed()
            return close(reason: "slow consumer", notify: false)
        }
        answerPoll()
    }

    /// A frame for the client, prepared for the connection's encoding: compressed only on a session opened as a
    /// WebSocket that negotiated permessage-deflate (see `connected`), which never falls back to polling.
    func write(_ payload: WirePayload) {
        guard !closed, let connection else { return }
        if payload.plain.readableBytes > owner.shared.settings.queueBytes {
            if let notice = connection.refusal(ofOversized: payload.plain) { send(SocketIOPacket.event(fromFrame: notice)) }
            return
        }
        switch carrier {
        case .websocket(let link): link.write(prepared: payload)
        case .polling, .probing: send(payload.compressed ? SocketIOPacket.event(fromFrame: payload.plain) : payload.bytes)
        }
        connection.countSent()
    }

    func startClose(code: UInt16, reason: String) {
        close(reason: reason, notify: true)
    }

    /// Ends the session: the client is told (`41`, then Engine.IO's close) when the edge decided it, the connection
    /// leaves the registry at once, and the disconnect hooks run after the call in progress.
    private func close(reason: String, notify: Bool) {
        guard !closed else { return }
        if notify { send(SocketIOPacket.disconnectPacket) }
        closed = true
        timer?.cancel()
        connectTimer?.cancel()
        owner.remove(sid)
        switch carrier {
        case .polling:
            if let promise = pendingPoll {
                pendingPoll = nil
                promise.succeed(EngineIOPacket.joined(pollQueue + [EngineIOPacket.closePacket]))
            }
        case .probing(let link), .websocket(let link):
            pendingPoll?.succeed(EngineIOPacket.closePacket)
            pendingPoll = nil
            link.close()
        }
        pollQueue.removeAll()
        calls.dropClientCalls()
        guard let connection else { return }
        connection.markClosing()
        self.connection = nil
        let hooks = owner.shared.hooks
        enqueueCall(keepAfterClose: true) {
            await hooks.onDisconnect(connection)
            WebSocketConnectionHandler.openSockets.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    // MARK: Calls, in order

    func enqueueCall(keepAfterClose: Bool, _ body: @escaping @Sendable () async -> Void) {
        if closed, !keepAfterClose { return }
        calls.append(.call(body, keepAfterClose: keepAfterClose))
        pump()
    }

    private func pump() {
        let handle = self.handle
        calls.pump(write: { send($0) }, eventLoop: eventLoop) {
            handle.run { session in
                session.calls.finished()
                session.pump()
            }
        }
    }
}

/// A session as any thread may hold it: every call hops to the session's loop.
struct SocketIOSessionHandle: Sendable {
    let sid: String
    let eventLoop: any EventLoop
    let session: NIOLoopBound<SocketIOSession>

    func run(_ body: @escaping @Sendable (SocketIOSession) -> Void) {
        let session = self.session
        if eventLoop.inEventLoop {
            body(session.value)
        } else {
            eventLoop.execute { body(session.value) }
        }
    }

    /// Called by the session's `WebSocketConnectionHandler` on its own loop when it is added to its pipeline.
    func attach(_ handler: WebSocketConnectionHandler, on loop: any EventLoop) {
        let link = WebSocketLink(
            id: ObjectIdentifier(handler), loop: loop, handler: NIOLoopBound(handler, eventLoop: loop), compression: handler.outboundCompression)
        run { $0.attached(link) }
    }
}

/// The session's WebSocket, written from the session's loop on the socket's own loop.
struct WebSocketLink: Sendable {
    let id: ObjectIdentifier
    let loop: any EventLoop
    let handler: NIOLoopBound<WebSocketConnectionHandler>
    /// The socket's permessage-deflate, when the client negotiated it.
    let compression: PerMessageDeflate.Outbound?

    /// One Engine.IO packet: compressed here (per message) when the socket agreed to it and it is large enough.
    func write(_ packet: ByteBuffer) {
        let handler = self.handler
        loop.execute { handler.value.write(packet) }
    }

    /// A fan-out's bytes, already prepared (and compressed once for every member) for this socket's encoding.
    func write(prepared payload: WirePayload) {
        guard payload.compressed else { return write(payload.bytes) }
        let handler = self.handler
        loop.execute { handler.value.write(payload) }
    }

    func close() {
        let handler = self.handler
        loop.execute { handler.value.startClose(code: 1000, reason: "") }
    }
}
