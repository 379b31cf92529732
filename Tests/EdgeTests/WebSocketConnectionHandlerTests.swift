import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import WSEdge

/// The edge's WebSocket handler in its echo role on an `EmbeddedChannel`: what RFC 6455 asks of a server, frame by frame.
@Suite struct WebSocketConnectionHandlerTests {
    static let settings = WebSocketSettings(messageLimit: 64, queueBytes: 1024, pingInterval: nil)

    /// An echo connection: frames go in as a client sends them, what the edge writes comes out.
    final class Peer {
        let channel = EmbeddedChannel()

        init(settings: WebSocketSettings = WebSocketConnectionHandlerTests.settings) throws {
            let handler = WebSocketConnectionHandler(role: .echo, settings: settings, eventLoop: channel.eventLoop)
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func send(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv1: Bool = false) throws {
            var data = ByteBuffer(bytes: payload)
            let key: WebSocketMaskingKey? = masked ? [0x11, 0x22, 0x33, 0x44] : nil
            if let key { data.webSocketMask(key) }
            try channel.writeInbound(WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: key, data: data))
        }

        func send(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) throws {
            try send(opcode, Array(text.utf8), fin: fin)
        }

        func next() throws -> WebSocketFrame? { try channel.readOutbound(as: WebSocketFrame.self) }

        /// The close code of the next frame, when it is a close frame.
        func closeCode() throws -> UInt16? {
            guard let frame = try next(), frame.opcode == .connectionClose else { return nil }
            var data = frame.data
            return data.readInteger(as: UInt16.self)
        }

        var isOpen: Bool { channel.isActive }
    }

    @Test func anUnmaskedClientFrameClosesWith1002() throws {
        let peer = try Peer()
        try peer.send(.text, Array("{}".utf8), masked: false)
        #expect(try peer.closeCode() == 1002)
        #expect(!peer.isOpen)
    }

    @Test func fragmentsAreReassembledAndControlFramesMayComeBetweenThem() throws {
        let peer = try Peer()
        try peer.send(.text, "hel", fin: false)
        try peer.send(.ping, "p")
        let pong = try #require(try peer.next())
        #expect(pong.opcode == .pong)
        #expect(String(buffer: pong.data) == "p")
        try peer.send(.continuation, "lo ", fin: false)
        try peer.send(.continuation, "you", fin: true)
        let echo = try #require(try peer.next())
        #expect(echo.opcode == .text && echo.fin)
        #expect(String(buffer: echo.data) == "hello you")
        #expect(echo.maskKey == nil, "a server never masks")
    }

    @Test func aCharacterSplitAcrossFragmentsIsValidButBrokenUTF8Closes1007() throws {
        let peer = try Peer()
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        try peer.send(.text, Array(euro[0..<1]), fin: false)
        try peer.send(.continuation, Array(euro[1...]), fin: true)
        #expect(try peer.next().map { String(buffer: $0.data) } == "€")
        // Failed at the first bad fragment, before the message ends.
        try peer.send(.text, [0x61, 0xED, 0xA0, 0x80], fin: false)
        #expect(try peer.closeCode() == 1007)
        #expect(!peer.isOpen)
    }

    @Test func aMessageOverTheLimitClosesWith1009EvenInSmallFragments() throws {
        let peer = try Peer()
        for _ in 0..<4 { try peer.send(.continuation, [], fin: false) }
        #expect(try peer.closeCode() == 1002, "a continuation without a message")
        let second = try Peer()
        try second.send(.binary, [UInt8](repeating: 1, count: 40), fin: false)
        #expect(try second.next() == nil)
        try second.send(.continuation, [UInt8](repeating: 1, count: 40), fin: true)
        #expect(try second.closeCode() == 1009)
        #expect(!second.isOpen)
    }

    @Test func theCloseHandshakeEchoesTheCodeAndRefusesInvalidOnes() throws {
        let normal = try Peer()
        try normal.send(.connectionClose, [0x03, 0xE8] + Array("bye".utf8))
        #expect(try normal.closeCode() == 1000)
        #expect(!normal.isOpen)

        let application = try Peer()
        try application.send(.connectionClose, [0x0F, 0xA0])  // 4000
        #expect(try application.closeCode() == 4000)

        let reserved = try Peer()
        try reserved.send(.connectionClose, [0x03, 0xED])  // 1005 is never sent on the wire
        #expect(try reserved.closeCode() == 1002)

        let oneByte = try Peer()
        try oneByte.send(.connectionClose, [0x03])
        #expect(try oneByte.closeCode() == 1002)

        let badReason = try Peer()
        try badReason.send(.connectionClose, [0x03, 0xE8, 0xFF])
        #expect(try badReason.closeCode() == 1007)
    }

    @Test func reservedBitsAndUnknownOpcodesClose1002() throws {
        let reserved = try Peer()
        try reserved.send(.text, Array("{}".utf8), rsv1: true)
        #expect(try reserved.closeCode() == 1002)
        let unknown = try Peer()
        try unknown.send(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, [])
        #expect(try unknown.closeCode() == 1002)
    }

    @Test func aClientPastTheWriteBoundIsCutOffWith1008() throws {
        let peer = try Peer()
        try peer.send(.text, "one")
        #expect(try peer.next() != nil)
        peer.channel.isWritable = false
        peer.channel.pipeline.fireChannelWritabilityChanged()
        #expect(try peer.closeCode() == 1008)
        #expect(!peer.isOpen)
        // Nothing more is written once the bound was passed.
        #expect(try peer.next() == nil)
    }

    @Test func anUnansweredPingDropsThePeer() throws {
        var settings = Self.settings
        settings.pingInterval = .milliseconds(1)
        let peer = try Peer(settings: settings)
        let handler = try peer.channel.pipeline.syncOperations.handler(type: WebSocketConnectionHandler.self)
        handler.tick(now: .now() + .seconds(1))
        #expect(try peer.next()?.opcode == .ping)
        try peer.send(.pong, [])
        handler.tick(now: .now() + .seconds(2))
        #expect(try peer.next()?.opcode == .ping, "answered: pinged again")
        handler.tick(now: .now() + .seconds(3))
        #expect(!peer.isOpen, "no answer to the second ping")
    }
}
