import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing

@testable import Signer

/// What the handler told its connection, in order.
private final class Recorder: UpstreamFrameHandler.Sink {
    enum Event: Equatable {
        case opened
        case delivered(String)
        case closed(UpstreamError)
        case channelClosed(UpstreamFrameHandler.Stage)
    }

    private let recorded = Mutex<[Event]>([])
    var events: [Event] { recorded.withLock { $0 } }

    func opened(_ channel: any Channel) { recorded.withLock { $0.append(.opened) } }
    func deliver(_ text: String) { recorded.withLock { $0.append(.delivered(text)) } }
    func close(_ error: UpstreamError) { recorded.withLock { $0.append(.closed(error)) } }
    func channelClosed(_ stage: UpstreamFrameHandler.Stage) { recorded.withLock { $0.append(.channelClosed(stage)) } }
}

@Suite("UpstreamFrameHandler on an EmbeddedChannel")
struct UpstreamFrameHandlerTests {
    static let open = #"{"_id":0,"_method":"open","_status":"00","_args":{"Result":true,"Data":[],"Error":[]}}"#

    private func channel() throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(UpstreamFrameHandler(sink: recorder))
        return (channel, recorder)
    }

    private func frame(_ opcode: WebSocketOpcode, _ text: String, on channel: EmbeddedChannel) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, data: channel.allocator.buffer(string: text))
    }

    @Test func opensOnTheOpenFrameThenDeliversEveryTextFrame() throws {
        let (channel, recorder) = try channel()
        try channel.writeInbound(frame(.text, Self.open, on: channel))
        try channel.writeInbound(frame(.text, #"{"_id":1,"Result":true}"#, on: channel))
        try channel.writeInbound(frame(.binary, "ignored", on: channel))
        try channel.writeInbound(frame(.text, #"{"_id":"2"}"#, on: channel))
        #expect(recorder.events == [.opened, .delivered(#"{"_id":1,"Result":true}"#), .delivered(#"{"_id":"2"}"#)])
        _ = try channel.finish()
        #expect(recorder.events.last == .channelClosed(.open))
    }

    @Test func aWrongFirstFrameClosesWithAHandshakeError() throws {
        for first in [(WebSocketOpcode.text, #"{"_method":"welcome"}"#), (.text, "garbage"), (.binary, "x")] {
            let (channel, recorder) = try channel()
            try channel.writeInbound(frame(first.0, first.1, on: channel))
            guard case .closed(.handshake) = recorder.events.first else {
                Issue.record("\(first.1): \(recorder.events)")
                continue
            }
            #expect(!channel.isActive)
            #expect(recorder.events.count == 1)
        }
    }

    @Test func closingBeforeTheOpenFrameIsAHandshakeFailure() throws {
        let (channel, recorder) = try channel()
        _ = try channel.finish()
        #expect(recorder.events == [.channelClosed(.awaitingOpen)])
    }

    @Test func answersPingsWithMaskedPongsAndClosesOnAClose() throws {
        let (channel, recorder) = try channel()
        try channel.writeInbound(frame(.text, Self.open, on: channel))
        try channel.writeInbound(frame(.ping, "beat", on: channel))
        let pong = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(pong.opcode == .pong)
        #expect(pong.maskKey != nil)
        // Outbound frames carry their payload in the clear; the encoder applies the mask.
        #expect(String(buffer: pong.data) == "beat")
        try channel.writeInbound(frame(.connectionClose, "", on: channel))
        let close = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(close.opcode == .connectionClose)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(recorder.events == [.opened, .channelClosed(.open)])
    }

    @Test func requestFramesAreMaskedText() {
        let frame = UpstreamFrameHandler.textFrame(ByteBuffer(string: "{}"))
        #expect(frame.opcode == .text && frame.fin && frame.maskKey != nil)
        #expect(String(buffer: frame.data) == "{}")
    }
}

@Suite("UpstreamURL")
struct UpstreamURLTests {
    @Test func splitsWhatTheSettingsAccept() throws {
        let plain = try #require(UpstreamURL("ws://127.0.0.1:61232/"))
        #expect(!plain.secure && plain.host == "127.0.0.1" && plain.port == 61232 && plain.path == "/")
        #expect(plain.hostHeader == "127.0.0.1:61232")
        let secure = try #require(UpstreamURL("wss://eport.example/sign?x=1"))
        #expect(secure.secure && secure.port == 443 && secure.path == "/sign?x=1" && secure.hostHeader == "eport.example")
        let six = try #require(UpstreamURL("ws://[::1]:8080"))
        #expect(six.host == "::1" && six.port == 8080 && six.path == "/" && six.hostHeader == "[::1]:8080")
        for bad in ["http://x/", "ws://", "ws://:80/", "ws://h:0/", "ws://h:99999/", "ws://h:x/", "ws://[::1/", "ws://u@h/"] {
            #expect(UpstreamURL(bad) == nil, "\(bad)")
        }
    }
}
