import Foundation
import NIOCore
import Testing

@testable import WSEdge

/// The Engine.IO and Socket.IO packet codecs as plain values: what a python-socketio or JavaScript client sends, what
/// the edge answers, and hostile input that must be refused without a trap.
@Suite struct SocketIOPacketTests {
    func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func engineIOPacketsAreReadByTheirTypeDigit() {
        #expect(EngineIOPacket.decode(ByteBuffer(string: "2probe")) == .ping(probe: true))
        #expect(EngineIOPacket.decode(ByteBuffer(string: "3")) == .pong(probe: false))
        #expect(EngineIOPacket.decode(ByteBuffer(string: "5")) == .upgrade)
        #expect(EngineIOPacket.decode(ByteBuffer(string: "bAAE=")) == .binary)
        #expect(EngineIOPacket.decode(ByteBuffer(string: "42[\"x\"]")) == .message(ByteBuffer(string: "2[\"x\"]")))
        #expect(EngineIOPacket.decode(ByteBuffer(string: "9")) == nil)
        #expect(EngineIOPacket.decode(ByteBuffer()) == nil)
    }

    @Test func aPollingBodySplitsOnTheRecordSeparatorAndJoinsBack() {
        let body = ByteBuffer(string: "40{\"token\":\"t\"}\u{1e}42[\"ping\"]\u{1e}3")
        let packets = EngineIOPacket.split(body)
        #expect(packets.map(text) == ["40{\"token\":\"t\"}", "42[\"ping\"]", "3"])
        #expect(text(EngineIOPacket.joined(packets)) == text(body))
        #expect(EngineIOPacket.split(ByteBuffer()).isEmpty)
        #expect(EngineIOPacket.split(ByteBuffer(string: "\u{1e}")).map(text) == ["", ""])
    }

    @Test func theOpenPacketCarriesTheSessionAndTheTiming() throws {
        let open = text(EngineIOPacket.open(sid: "abc", upgrades: ["websocket"], pingInterval: 25000, pingTimeout: 20000, maxPayload: 65536))
        #expect(open.first == "0")
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(open.dropFirst().utf8)) as? [String: Any])
        #expect(fields["sid"] as? String == "abc")
        #expect(fields["upgrades"] as? [String] == ["websocket"])
        #expect(fields["pingInterval"] as? Int == 25000)
        #expect(fields["maxPayload"] as? Int == 65536)
    }

    @Test func anEventWithAnAckIdBecomesTheClientFrameOfTheSameName() throws {
        let packet = try #require(SocketIOPacket.decode(ByteBuffer(string: #"212["join_room",{"room":"ops"}]"#)))
        #expect(packet.kind == .event)
        #expect(packet.namespace == "/")
        #expect(packet.ackID == 12)
        let message = try packet.clientMessage().get()
        #expect(message.type == "join_room")
        #expect(message.id == "12")
        #expect(message.data.map { String(decoding: $0, as: UTF8.self) } == #"{"room":"ops"}"#)
    }

    @Test func aNamespaceAndAnEventWithoutArgumentAreRead() throws {
        let packet = try #require(SocketIOPacket.decode(ByteBuffer(string: #"2/admin,["get_history"]"#)))
        #expect(packet.namespace == "/admin")
        #expect(packet.ackID == nil)
        let message = try packet.clientMessage().get()
        #expect(message.type == "get_history")
        #expect(message.data == nil)
    }

    @Test(arguments: [
        #"2["chat_message",{"#, #"2{"type":"x"}"#, #"2[5,{}]"#, #"2["#, "2", #"2["a",{}"#, #"2["a" {}]"#, #"2["a",{"b":01}]"#, #"2[""]"#,
    ])
    func malformedEventsAreInvalidMessages(packet: String) throws {
        let decoded = try #require(SocketIOPacket.decode(ByteBuffer(string: packet)))
        guard case .failure(let failure) = decoded.clientMessage() else {
            Issue.record("\(packet) was accepted")
            return
        }
        #expect(failure.code == .invalidMessage)
    }

    @Test func hostileHeadersAreRefusedNotTrapped() {
        #expect(SocketIOPacket.decode(ByteBuffer(string: "9[]")) == nil)
        #expect(SocketIOPacket.decode(ByteBuffer(string: "")) == nil)
        #expect(SocketIOPacket.decode(ByteBuffer(string: "2" + String(repeating: "9", count: 40) + "[]")) == nil)
        #expect(SocketIOPacket.decode(ByteBuffer(string: "5"))?.kind == .binaryEvent)
        #expect(SocketIOPacket.decode(ByteBuffer(string: "51-/x,"))?.namespace == "/x")
        #expect(SocketIOPacket.decode(ByteBuffer(string: "2/"))?.namespace == "/")
    }

    @Test func theConnectAuthGivesTheToken() throws {
        func token(_ text: String) -> Result<String?, ProtocolFailure>? { SocketIOPacket.decode(ByteBuffer(string: text))?.authToken() }
        #expect(try token(#"0{"token":"abc","other":[1]}"#)?.get() == "abc")
        #expect(try token("0")?.get() == nil)
        #expect(try token("0{}")?.get() == nil)
        guard case .failure = token(#"0{"token":5}"#), case .failure = token("0[1]"), case .failure = token(#"0{"token":"a""#) else {
            Issue.record("a bad auth payload was accepted")
            return
        }
    }

    @Test func serverFramesBecomeEventsAndAcks() {
        let frame = ByteBuffer(string: #"{"type":"room_joined","id":"x","timestamp":1,"data":{"room":"ops","members":["a"]}}"#)
        #expect(text(SocketIOPacket.event(fromFrame: frame)) == #"42["room_joined",{"room":"ops","members":["a"]}]"#)
        #expect(text(SocketIOPacket.ack(7, fromFrame: frame)) == #"437[{"room":"ops","members":["a"]}]"#)
        #expect(text(SocketIOPacket.ack(7, fromFrame: nil)) == "437[]")
        #expect(text(SocketIOPacket.event(fromFrame: ByteBuffer(string: #"{"type":"pong"}"#))) == #"42["pong"]"#)
        #expect(text(WireEncoding(socketIO: true).prepare(frame).bytes).hasPrefix(#"42["room_joined""#))
        #expect(text(WireEncoding.plain.prepare(frame).bytes) == text(frame))
    }

    @Test func connectAnswersQuoteSafely() {
        #expect(text(SocketIOPacket.connected(sid: "e-1")) == #"40{"sid":"e-1"}"#)
        #expect(text(SocketIOPacket.connectError(namespace: "/", message: "no \"way\"")) == #"44{"message":"no \"way\""}"#)
        #expect(text(SocketIOPacket.connectError(namespace: "/a b\u{1e}c", message: "x")) == #"44/abc,{"message":"x"}"#)
    }
}
