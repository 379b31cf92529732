import CZlib
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import WSEdge

/// permessage-deflate (RFC 7692): what the edge answers to offers, and compressed messages through the handler.
@Suite struct PerMessageDeflateTests {
    static let configuration = PerMessageDeflate.Configuration(minBytes: 64, requestedClientWindowBits: 10)

    static func answer(_ offers: String...) -> String? {
        PerMessageDeflate.negotiate(offers, configuration: configuration)?.response
    }

    // MARK: Negotiation

    @Test func theAnswerAlwaysSaysServerNoContextTakeoverAndAsksForASmallClientWindowWhenOffered() {
        #expect(Self.answer("permessage-deflate") == "permessage-deflate; server_no_context_takeover")
        // Chromium's offer.
        #expect(
            Self.answer("permessage-deflate; client_max_window_bits")
                == "permessage-deflate; server_no_context_takeover; client_max_window_bits=10")
        // A client window already smaller than what the edge asks for stays.
        #expect(
            Self.answer("permessage-deflate; client_max_window_bits=9")
                == "permessage-deflate; server_no_context_takeover; client_max_window_bits=9")
        #expect(
            Self.answer("permessage-deflate; client_no_context_takeover; server_no_context_takeover")
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        #expect(
            Self.answer("permessage-deflate; server_max_window_bits=11")
                == "permessage-deflate; server_no_context_takeover; server_max_window_bits=11")
        // A quoted value is the same value, spaces around the separators are allowed, names are case-insensitive.
        #expect(
            Self.answer(#"Permessage-Deflate ; server_max_window_bits = "12" ;client_max_window_bits"#)
                == "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10")
    }

    @Test func theAgreementSaysWhichWindowEachSideUses() throws {
        let agreement = try #require(
            PerMessageDeflate.negotiate(
                ["permessage-deflate; server_max_window_bits=8; client_max_window_bits; client_no_context_takeover"],
                configuration: Self.configuration))
        #expect(agreement.serverWindowBits == 8)
        #expect(agreement.clientWindowBits == 10)
        #expect(agreement.inbound == PerMessageDeflate.Inbound(windowBits: 10, keepsContext: false))
        #expect(agreement.outbound == PerMessageDeflate.Outbound(windowBits: 8, minBytes: 64))
        // Without client_max_window_bits in the offer the client may use the whole 32 KiB window.
        let plain = try #require(PerMessageDeflate.negotiate(["permessage-deflate"], configuration: Self.configuration))
        #expect(plain.inbound == PerMessageDeflate.Inbound(windowBits: 15, keepsContext: true))
    }

    @Test(arguments: [
        "permessage-deflate; server_max_window_bits",  // needs a value
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",  // leading zero
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=\"\"",
        "permessage-deflate; client_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover=x",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",  // duplicated
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; unknown_parameter",
        "permessage-deflate;",
        "permessage-deflate; server_max_window_bits=\"1,2\"",
        "permessage-deflate; server_max_window_bits=\"10",  // unterminated quote
        "x-webkit-deflate-frame",
        "",
    ])
    func aMalformedOrUnknownOfferIsDeclined(_ offer: String) {
        #expect(Self.answer(offer) == nil)
    }

    @Test func theFirstAcceptableOfferWinsAcrossCommasAndHeaderLines() {
        #expect(
            Self.answer("permessage-deflate; server_max_window_bits=7, permessage-deflate; client_no_context_takeover")
                == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        #expect(
            Self.answer(#"foo; bar="a,b", permessage-deflate; server_max_window_bits=9, permessage-deflate"#)
                == "permessage-deflate; server_no_context_takeover; server_max_window_bits=9")
        #expect(Self.answer("x-webkit-deflate-frame", "permessage-deflate") == "permessage-deflate; server_no_context_takeover")
        #expect(Self.answer(",,permessage-deflate,") == "permessage-deflate; server_no_context_takeover")
    }

    // MARK: Compression

    static let batch: ByteBuffer = {
        var text = #"{"type":"data_batch","data":{"updates":["#
        for point in 0..<500 { text += #"{"channel_id":1001,"data_type":"T","point_id":\#(point),"value":\#(100 + Double(point) / 7)},"# }
        text += "{}]}}"
        return ByteBuffer(string: text)
    }()

    @Test func aMessageCompressedByTheEdgeInflatesBackAndIsMuchSmaller() throws {
        for bits in [8, 9, 12, 15] {
            let compressed = try #require(PerMessageDeflaterPool.shared.compress(Self.batch, windowBits: bits))
            #expect(compressed.readableBytes * 4 < Self.batch.readableBytes, "\(bits) bits: \(compressed.readableBytes) bytes")
            let inflater = try #require(PerMessageInflater(windowBits: max(8, bits), keepsContext: false))
            #expect(inflater.beginMessage())
            let plain = try inflater.inflate(compressed, final: true, room: 1 << 20, allocator: ByteBufferAllocator()).get()
            #expect(plain == Self.batch)
        }
        // Each message alone: compressing the same bytes twice gives the same bytes (what a fan-out relies on).
        #expect(
            PerMessageDeflaterPool.shared.compress(Self.batch, windowBits: 15) == PerMessageDeflaterPool.shared.compress(Self.batch, windowBits: 15))
    }

    @Test func smallOrIncompressibleFramesGoOutAsTheyAre() {
        var encoding = WireEncoding()
        encoding.deflate = true
        encoding.compression = PerMessageDeflate.Outbound(windowBits: 15, minBytes: 256)
        let small = encoding.prepare(ByteBuffer(string: #"{"type":"pong","data":{}}"#))
        #expect(!small.compressed)
        var random = SystemRandomNumberGenerator()
        let noise = ByteBuffer(bytes: (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) })
        #expect(!encoding.prepare(noise).compressed)
        let big = encoding.prepare(Self.batch)
        #expect(big.compressed)
        #expect(big.plain == Self.batch, "the refusal of an oversized frame measures the plain frame")
    }

    @Test func theInflaterStopsAZipBombAtTheRoomWithoutAllocatingPastIt() throws {
        let zeros = ByteBuffer(repeating: 0, count: 8 << 20)
        let bomb = try #require(PerMessageDeflaterPool.shared.compress(zeros, windowBits: 15))
        #expect(bomb.readableBytes < 16 << 10)
        let inflater = try #require(PerMessageInflater(windowBits: 15, keepsContext: false))
        #expect(inflater.beginMessage())
        let result = inflater.inflate(bomb, final: true, room: 65_536, allocator: ByteBufferAllocator())
        #expect(result == .failure(.tooLarge))
        // Exactly at the room is fine.
        let exact = try #require(PerMessageDeflaterPool.shared.compress(ByteBuffer(repeating: 0, count: 65_536), windowBits: 15))
        #expect(inflater.beginMessage())
        let fits = try inflater.inflate(exact, final: true, room: 65_536, allocator: ByteBufferAllocator()).get()
        #expect(fits.readableBytes == 65_536)
        #expect(fits.capacity <= 65_536, "never more than the room allocated")
    }

    // MARK: Through the handler

    /// A client's compressor: raw DEFLATE, sync-flushed, tail removed, keeping its window across messages when asked.
    final class ClientDeflater {
        let raw: OpaquePointer
        let keepContext: Bool
        init(windowBits: Int = 10, keepContext: Bool) {
            raw = sb_deflater_new(Int32(windowBits), 6)!
            self.keepContext = keepContext
        }
        deinit { sb_deflater_free(raw) }
        func compress(_ bytes: [UInt8]) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: sb_deflater_bound(raw, bytes.count))
            let written = output.withUnsafeMutableBufferPointer { out in
                bytes.withUnsafeBufferPointer { sb_deflater_message(raw, $0.baseAddress, $0.count, out.baseAddress, out.count, keepContext ? 1 : 0) }
            }
            return Array(output[..<Int(written)])
        }
    }

    final class Peer {
        let channel = EmbeddedChannel()

        init(offer: String, messageLimit: Int = 65_536) throws {
            let settings = WebSocketSettings(messageLimit: messageLimit, queueBytes: 1 << 20, pingInterval: nil)
            let handler = WebSocketConnectionHandler(role: .echo, settings: settings, eventLoop: channel.eventLoop)
            if let agreement = PerMessageDeflate.negotiate([offer], configuration: PerMessageDeflateTests.configuration) {
                handler.adopt(agreement)
            }
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func send(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false) throws {
            var data = ByteBuffer(bytes: payload)
            let key: WebSocketMaskingKey = [0x11, 0x22, 0x33, 0x44]
            data.webSocketMask(key)
            try channel.writeInbound(WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: key, data: data))
        }

        func next() throws -> WebSocketFrame? { try channel.readOutbound(as: WebSocketFrame.self) }

        func closeCode() throws -> UInt16? {
            guard let frame = try next(), frame.opcode == .connectionClose else { return nil }
            var data = frame.data
            return data.readInteger(as: UInt16.self)
        }

        /// The next echoed message, inflated when it came compressed.
        func echoed() throws -> (text: String, compressed: Bool)? {
            guard let frame = try next() else { return nil }
            guard frame.rsv1 else { return (String(buffer: frame.data), false) }
            let inflater = try #require(PerMessageInflater(windowBits: 15, keepsContext: false))
            #expect(inflater.beginMessage())
            let plain = try inflater.inflate(frame.data, final: true, room: 1 << 20, allocator: ByteBufferAllocator()).get()
            return (String(buffer: plain), true)
        }
    }

    @Test func aCompressedMessageInFragmentsIsInflatedAndTheEchoComesBackCompressed() throws {
        let peer = try Peer(offer: "permessage-deflate; client_max_window_bits")
        let client = ClientDeflater(keepContext: true)
        let text = String(buffer: Self.batch)
        let compressed = client.compress(Array(text.utf8))
        let third = compressed.count / 3
        // RSV1 on the first frame only; continuation frames carry none.
        try peer.send(.text, Array(compressed[..<third]), fin: false, rsv1: true)
        try peer.send(.continuation, Array(compressed[third..<(2 * third)]), fin: false)
        try peer.send(.continuation, Array(compressed[(2 * third)...]), fin: true)
        let echo = try #require(try peer.echoed())
        #expect(echo.compressed)
        #expect(echo.text == text)
        // The client's context carries over: a message it sent before (within its 1 KiB window) comes again as a few
        // bytes that refer back into the previous message.
        let line = String(repeating: "status of channel 1001 point 7; ", count: 20)
        let first = client.compress(Array(line.utf8))
        try peer.send(.text, first, rsv1: true)
        #expect(try peer.echoed()?.text == line)
        let again = client.compress(Array(line.utf8))
        #expect(again.count < first.count / 2, "\(again.count) bytes after \(first.count)")
        try peer.send(.text, again, rsv1: true)
        #expect(try peer.echoed()?.text == line)
        // The echo endpoint compresses even what is under the threshold (as Autobahn's reference server does); an
        // uncompressed client message is fine too.
        try peer.send(.text, client.compress(Array("short".utf8)), rsv1: true)
        #expect(try peer.echoed().map { [$0.text: $0.compressed] } == ["short": true])
        try peer.send(.text, Array("plain".utf8))
        #expect(try peer.echoed()?.text == "plain")
    }

    @Test func withoutContextTakeoverEveryMessageInflatesAlone() throws {
        let peer = try Peer(offer: "permessage-deflate; client_no_context_takeover; client_max_window_bits")
        let client = ClientDeflater(keepContext: false)
        for index in 0..<3 {
            try peer.send(.binary, client.compress(Array("message \(index) ".utf8) + Array(repeating: 0x61, count: 300)), rsv1: true)
            let echo = try #require(try peer.next())
            #expect(echo.opcode == .binary)
            #expect(echo.rsv1)
        }
    }

    @Test func aZipBombClosesWith1009() throws {
        let peer = try Peer(offer: "permessage-deflate", messageLimit: 65_536)
        let client = ClientDeflater(windowBits: 15, keepContext: false)
        let bomb = client.compress([UInt8](repeating: 0x20, count: 4 << 20))
        #expect(bomb.count < 8192)
        try peer.send(.text, bomb, rsv1: true)
        #expect(try peer.closeCode() == 1009)
        #expect(!peer.channel.isActive)
    }

    @Test func aBombSpreadOverFragmentsClosesWith1009Too() throws {
        let peer = try Peer(offer: "permessage-deflate", messageLimit: 65_536)
        let client = ClientDeflater(windowBits: 15, keepContext: false)
        let bomb = client.compress([UInt8](repeating: 0x20, count: 200_000))
        try peer.send(.text, Array(bomb[..<4]), fin: false, rsv1: true)
        #expect(try peer.next() == nil, "four bytes inflate to far less than the limit")
        try peer.send(.continuation, Array(bomb[4...]), fin: true)
        #expect(try peer.closeCode() == 1009)
    }

    @Test func reservedBitsOutsideAnAgreedFirstFrameClose1002() throws {
        let withoutAgreement = try Peer(offer: "x-unknown")
        try withoutAgreement.send(.text, ClientDeflater(keepContext: false).compress(Array("hello".utf8)), rsv1: true)
        #expect(try withoutAgreement.closeCode() == 1002)

        let onContinuation = try Peer(offer: "permessage-deflate")
        try onContinuation.send(.text, Array("he".utf8), fin: false)
        try onContinuation.send(.continuation, Array("llo".utf8), fin: true, rsv1: true)
        #expect(try onContinuation.closeCode() == 1002)

        let onPing = try Peer(offer: "permessage-deflate")
        try onPing.send(.ping, [], rsv1: true)
        #expect(try onPing.closeCode() == 1002)
    }

    @Test func invalidCompressedDataCloses1007() throws {
        let peer = try Peer(offer: "permessage-deflate")
        // BTYPE 11 is reserved: not DEFLATE.
        try peer.send(.text, [0xFF, 0xFF, 0xFF, 0xFF], rsv1: true)
        #expect(try peer.closeCode() == 1007)
    }
}
