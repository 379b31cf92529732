import Foundation
import TestSupport
import Testing

/// The Socket.IO JavaScript client (4.8.1, from NiceGUI's wheel: npm is not reachable here) in headless Chromium,
/// loaded into a page of the edge's own origin: long-polling, the upgrade to WebSocket, an acknowledged `join_room`,
/// and chat both ways with a `/ws` client in the same room.
@Suite("Socket.IO in a browser", .serialized, .timeLimit(.minutes(10)))
struct SocketIOBrowserTests {
    @Test func theJavaScriptClientPollsUpgradesJoinsAndChatsWithAWebSocketClient() async throws {
        let browser = try HeadlessChromium.locate()
        let bundle = try await SocketIOTests.run(["bundle"], in: nil)
        #expect(bundle["version"] as? String == "4.8.1")
        let source = try String(contentsOfFile: try #require(bundle["path"] as? String), encoding: .utf8)

        let cluster = try await Cluster.start(environment: SocketIOTests.environment)
        defer { cluster.shutdown() }
        let plain = try await RoomKit.socket(cluster.httpPort, "bob")
        defer { Task { await plain.close() } }
        #expect(await RoomKit.join(plain, "web")["room"] as? String == "web")

        let chromium = try await HeadlessChromium.launch(browser, logPath: "\(cluster.runDirectory)/chromium.log")
        defer { chromium.shutdown() }
        try await chromium.open(cluster.baseURL.absoluteString + "/health")
        _ = try await chromium.evaluate(source)
        // A JWT is base64url and dots: safe inside a JavaScript string literal.
        let token = try await TestTokens.access("webby")
        try await chromium.run(
            """
            window.seen = [];
            window.sock = io(location.origin, { auth: { token: '\(token)' }, reconnection: false });
            sock.onAny((event, data) => seen.push([event, data]));
            sock.on('connect', () => sock.emit('join_room', { room: 'web' }, (ack) => { window.joinAck = ack; }));
            """)
        try await chromium.waitFor("the acknowledged join", "!!window.joinAck && window.joinAck.room === 'web'")
        try await chromium.waitFor("the upgrade to WebSocket", "sock.io.engine.transport.name === 'websocket'")

        try await chromium.run("sock.emit('chat_message', { room: 'web', content: 'hello from the browser' });")
        let chat = RoomKit.data(await plain.next(type: "chat_message", timeout: .seconds(10)))
        #expect(chat["content"] as? String == "hello from the browser", "\(chat)")

        try RoomKit.chat(plain, "web", "hello from /ws", id: "b1")
        try await chromium.waitFor(
            "the /ws chat as an event", "seen.some(([event, data]) => event === 'chat_message' && data.content === 'hello from /ws')")

        // Chromium offers permessage-deflate: a second client opened as a WebSocket (its fan-out frames compressed once
        // for all such members) and the upgraded one (its socket compresses each packet) both read a long message.
        try await chromium.run(
            """
            window.direct = [];
            window.sock2 = io(location.origin, { auth: { token: '\(token)' }, transports: ['websocket'], reconnection: false });
            sock2.on('chat_message', (data) => direct.push(data.content));
            sock2.on('connect', () => sock2.emit('join_room', { room: 'web' }, (ack) => { window.joinAck2 = ack; }));
            """)
        try await chromium.waitFor("the second client's join", "!!window.joinAck2 && window.joinAck2.room === 'web'")
        let long = String(repeating: "compressible telemetry text ", count: 40)
        try RoomKit.chat(plain, "web", long, id: "b2")
        try await chromium.waitFor("the long message on the direct socket", "direct.includes('\(long)')")
        try await chromium.waitFor(
            "the long message on the upgraded socket", "seen.some(([event, data]) => event === 'chat_message' && data.content === '\(long)')")
        // The /ws client here does not offer compression, so every compressed frame went to a Socket.IO socket.
        #expect(try await ConsoleTests.compressedFramesSent(cluster) >= 2)
    }
}
