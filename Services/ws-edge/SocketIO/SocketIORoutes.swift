import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SwitchboardProtocol

/// `/socket.io/`: Engine.IO's HTTP long-polling (GET opens a session or waits for its packets, POST sends packets) and
/// its WebSocket transport (`transport=websocket`, with `sid` to upgrade a polling session), decided here and handed
/// to the edge channel like any upgrade. The blocklist is the router's middleware for polling and `WebSocketRoutes`'
/// check for the WebSocket; the per-IP limit, hooks and authentication are the Socket.IO `CONNECT`'s (`SocketIOSession`).
/// Errors are Engine.IO's own (`{"code":1,"message":"Session ID unknown"}`), as Socket.IO clients expect them.
struct SocketIORoutes: Sendable {
    let sessions: SocketIOSessions

    static let paths: Set<String> = ["/socket.io", "/socket.io/"]

    func register(on router: Router<EdgeRequestContext>) {
        // The router takes `/socket.io` and `/socket.io/` (the clients' default path) as one route.
        router.get("socket.io") { request, context in await poll(request, context: context) }
        router.post("socket.io") { request, context in await post(request, context: context) }
    }

    /// Engine.IO's error answer (`code`: 0 unknown transport, 1 unknown session, 3 bad request, 5 unsupported version).
    static func failure(_ code: Int, _ message: String, status: HTTPResponse.Status = .badRequest) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"code":\#(code),"message":\#(JSONWriter.quoted(message))}"#)))
    }

    private static func text(_ body: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=UTF-8", .cacheControl: "no-store"], body: .init(byteBuffer: body))
    }

    /// A request's Engine.IO parameters, or the error answer for them.
    private static func check(_ query: [String: String], transport expected: String) -> Response? {
        guard query["EIO"] == "4" else { return failure(5, "Unsupported protocol version") }
        guard query["transport"] == expected else { return failure(0, "Transport unknown") }
        return nil
    }

    private static func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        return query
    }

    private func poll(_ request: Request, context: EdgeRequestContext) async -> Response {
        let query = Self.query(request)
        if query["transport"] == "websocket" { return Self.failure(3, "Bad request: a WebSocket transport needs an upgrade") }
        if let refusal = Self.check(query, transport: "polling") { return refusal }
        guard let sid = query["sid"] else {
            let handshake = SocketIOHandshake(
                ip: sessions.authenticator.clientIP(request, context: context), headers: request.headers, queryToken: query["token"])
            guard let open = await open(handshake) else {
                return Self.failure(3, "this edge holds its maximum of sessions", status: .serviceUnavailable)
            }
            return Self.text(open)
        }
        guard let session = sessions.session(sid) else { return Self.failure(1, "Session ID unknown") }
        let answer = session.eventLoop.flatSubmit { () -> EventLoopFuture<ByteBuffer> in
            session.session.value.poll() ?? session.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
        }
        guard let body = try? await answer.get() else { return Self.failure(3, "Bad request: a poll is already waiting or the session upgraded") }
        return Self.text(body)
    }

    /// A new polling session and its open packet; nil when the edge is full.
    private func open(_ handshake: SocketIOHandshake) async -> ByteBuffer? {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let sessions = self.sessions
        return try? await loop.submit { () -> ByteBuffer? in
            let sid = SocketIOSessions.makeSID()
            let session = SocketIOSession(sid: sid, owner: sessions, handshake: handshake, direct: false, eventLoop: loop)
            guard sessions.add(session.handle) else { return nil }
            session.start()
            return sessions.openPacket(sid: sid, upgrades: ["websocket"])
        }.get()
    }

    private func post(_ request: Request, context: EdgeRequestContext) async -> Response {
        let query = Self.query(request)
        if let refusal = Self.check(query, transport: "polling") { return refusal }
        guard let sid = query["sid"], let session = sessions.session(sid) else { return Self.failure(1, "Session ID unknown") }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: sessions.maxPayload)
        } catch {
            // Socket.IO servers close a session whose client sends more than maxPayload.
            session.run { $0.startClose(code: 1009, reason: "payload too large") }
            return Self.failure(3, "the payload exceeds maxPayload (\(sessions.maxPayload) bytes)", status: .contentTooLarge)
        }
        var validator = UTF8Validator()
        guard body.withUnsafeReadableBytes({ validator.feed($0) }) && validator.isComplete else {
            return Self.failure(3, "Bad request: the payload is not UTF-8")
        }
        let packets = EngineIOPacket.split(body)
        session.run { $0.received(polled: packets) }
        return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
    }

    // MARK: WebSocket

    /// The upgrade of `/socket.io/?EIO=4&transport=websocket[&sid=…]`: a new session on the socket, or the socket a
    /// polling session upgrades to.
    func decide(_ head: HTTPRequest, query: [String: String], ip: String) async -> EdgeChannel.Decision {
        guard query["EIO"] == "4" else { return Self.refusal(5, "Unsupported protocol version") }
        guard query["transport"] == "websocket" else { return Self.refusal(0, "Transport unknown") }
        let settings = sessions.socketSettings
        if let sid = query["sid"] {
            guard let session = sessions.session(sid) else { return Self.refusal(1, "Session ID unknown") }
            return .upgrade { loop in WebSocketConnectionHandler(role: .socketIO(session), settings: settings, eventLoop: loop) }
        }
        guard !sessions.isFull else { return Self.refusal(3, "this edge holds its maximum of sessions") }
        let handshake = SocketIOHandshake(ip: ip, headers: head.headerFields, queryToken: query["token"])
        let sessions = self.sessions
        return .upgrade { loop in
            let session = SocketIOSession(sid: SocketIOSessions.makeSID(), owner: sessions, handshake: handshake, direct: true, eventLoop: loop)
            // Checked above; a race past the cap by a few sockets is harmless, so the socket is served either way.
            _ = sessions.add(session.handle)
            session.start()
            return WebSocketConnectionHandler(role: .socketIO(session.handle), settings: settings, eventLoop: loop)
        }
    }

    private static func refusal(_ code: Int, _ message: String) -> EdgeChannel.Decision {
        .refuse(
            status: .badRequest, headers: [.contentType: "application/json; charset=utf-8"],
            body: ByteBuffer(string: #"{"code":\#(code),"message":\#(JSONWriter.quoted(message))}"#))
    }
}
