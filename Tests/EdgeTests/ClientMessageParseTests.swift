import Foundation
import Testing

@testable import WSEdge

/// The envelope read in one pass: what a client's frame says, and what is wrong with it.
@Suite struct ClientMessageParseTests {
    func parse(_ text: String) -> Result<ClientMessage, ProtocolFailure> { ClientMessage.parse(Data(text.utf8)) }

    @Test func typeIdAndDataAreReadWithoutDecodingTheRest() throws {
        let message = try parse(#" {"id": 42, "type":"subscribe","data":{"channels":[1, 2]},"timestamp":1} "#).get()
        #expect(message.type == "subscribe")
        #expect(message.id == "42")
        #expect(message.data.map { String(decoding: $0, as: UTF8.self) } == #"{"channels":[1, 2]}"#)
        struct Channels: Decodable { let channels: [Int] }
        #expect(try message.decodeData(Channels.self).get().channels == [1, 2])
    }

    @Test func escapedStringsAreDecodedAndNullDataIsAbsent() throws {
        let message = try parse(#"{"type":"p\u0069ng","id":"a\"b","data":null}"#).get()
        #expect(message.type == "ping")
        #expect(message.id == "a\"b")
        #expect(message.data == nil)
    }

    @Test(arguments: [
        (#"{"type":"ping""#, "the frame is not valid JSON"),
        (#"{"type":"ping"} x"#, "the frame is not valid JSON"),
        (#"{"type":"ping","n":01}"#, "the frame is not valid JSON"),
        (#"[{"type":"ping"}]"#, "the frame must be a JSON object"),
        (#"{"id":"x"}"#, "the frame has no `type`"),
        (#"{"type":5,"id":"x"}"#, "`type` must be a string and `id` a string or number"),
        (#"{"type":"ping","id":1.5}"#, "`type` must be a string and `id` a string or number"),
        (#"{"type":"","id":"x"}"#, "`type` must not be empty"),
    ])
    func badEnvelopesAreNamed(frame: String, problem: String) {
        guard case .failure(let failure) = parse(frame) else {
            Issue.record("\(frame) parsed")
            return
        }
        #expect(failure.message == problem, "\(frame)")
        #expect(failure.code == .invalidMessage)
    }

    @Test func nestingPastTheLimitIsRefusedWithoutRecursion() {
        let deep = #"{"type":"x","data":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        guard case .failure(let failure) = parse(deep) else {
            Issue.record("parsed")
            return
        }
        #expect(failure.message == "the frame is not valid JSON")
    }

    @Test func aFieldInsideDataIsNamedFromData() {
        struct Room: Decodable { let room: String }
        let message = try? parse(#"{"type":"join_room","data":{"room":5}}"#).get()
        guard case .failure(let failure) = message?.decodeData(Room.self) else {
            Issue.record("decoded")
            return
        }
        #expect(failure.message == "`data.room` has the wrong type")
    }
}
