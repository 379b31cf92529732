import Foundation
import Testing

@testable import Bus

@Suite("EnvelopeHead: id, method and deadline without decoding the frame")
struct EnvelopeHeadTests {
    func scan(_ text: String) -> EnvelopeHead? { EnvelopeHead.scan(Array(text.utf8)) }

    @Test func readsTheTopLevelFieldsInAnyOrder() {
        let head = scan(
            #"{"params":{"id":"inner","method":"x","list":[1,{"a":"}"}],"s":"q\"}"},"deadline":1764633600000,"method":"http.request","id":"42"}"#)
        #expect(head == EnvelopeHead(id: "42", method: "http.request", deadline: 1_764_633_600_000))
    }

    @Test func replyHeadsAndNullDeadlines() {
        #expect(scan(#"{"id":"7","ok":true,"result":{"status":200,"body":"{\"a\":1}"}}"#)?.id == "7")
        #expect(scan(#" { "id" : "8" , "deadline" : null } "#) == EnvelopeHead(id: "8", method: nil, deadline: nil))
        #expect(scan(#"{"deadline":-5,"id":"1","ok":false,"error":{"code":"x","message":"y"}}"#)?.deadline == -5)
    }

    @Test func answersNilForWhatTheFallbackMustDecide() {
        // Escapes in the fields read, fractions and overflow, and anything that is not an object.
        #expect(scan(#"{"id":"a\"b"}"#) == nil)
        #expect(scan(#"{"id":"1","deadline":1.5}"#) == nil)
        #expect(scan(#"{"id":"1","deadline":99999999999999999999}"#) == nil)
        #expect(scan("[1,2]") == nil)
        #expect(scan("") == nil)
    }

    @Test func neverTrapsOnTruncatedOrHostileFrames() {
        let frame = #"{"params":{"a":[1,2,{"b":"c\\"}]},"method":"m","id":"1","deadline":123}"#
        let bytes = Array(frame.utf8)
        for length in 0..<bytes.count {
            _ = EnvelopeHead.scan(Array(bytes.prefix(length)))
        }
        #expect(EnvelopeHead.scan(bytes)?.id == "1")
        let deep = String(repeating: "[", count: 10_000)
        #expect(scan(#"{"x":"# + deep) == nil)
        #expect(scan(#"{"x":1"#) == nil)
        #expect(scan(#"{"id":"1",}"#) == nil)
    }
}
