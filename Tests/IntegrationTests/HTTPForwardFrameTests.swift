import Foundation
import ServiceHost
import SwitchboardProtocol
import Testing

/// `http.request` read and written without `Codable` (issue 15) must mean exactly what the `Codable` form means: the
/// scan reads what `JSONEncoder` writes, the reply decodes with `JSONDecoder` to the same value, and hostile or
/// truncated frames are refused without a trap.
@Suite("HTTPForwardFrame: the services' http.request without Codable")
struct HTTPForwardFrameTests {
    static let awkward = [
        "", "plain", "quote \" backslash \\ slash /", "lines\n\r\ttab", "\u{0}\u{1}\u{1F}controls", "ümlaut 中文", "emoji 🛰️",
        "{\"json\":[1,2,{\"a\":null}]}", String(repeating: "x", count: 70_000),
    ]

    func frame(_ request: ForwardedRequest) throws -> [UInt8] {
        Array(try JSONEncoder().encode(RPCRequestEnvelope(id: "41", method: HTTPForward.name, params: request, deadline: 1_700_000_000_000)))
    }

    func expectSame(_ read: ForwardedRequest, _ sent: ForwardedRequest) {
        #expect(read.method == sent.method)
        #expect(read.path == sent.path)
        #expect(read.query == sent.query)
        #expect(read.headers == sent.headers)
        #expect(read.body == sent.body)
        #expect(read.clientIP == sent.clientIP)
        #expect(read.principal == sent.principal)
    }

    @Test func theScanReadsWhatJSONEncoderWrites() throws {
        for text in Self.awkward {
            let sent = ForwardedRequest(
                method: "POST", path: "/api/\(text.prefix(20))", query: ["q": text, "empty": ""],
                headers: ["content-type": "application/json", "user-agent": text], body: text, clientIP: "2001:db8::1",
                principal: Principal(user: "u\(text.prefix(10))", roles: ["admin", text.prefix(5).description]))
            let read = try #require(HTTPForwardFrame.scan(try frame(sent)), "\(text.prefix(40))")
            expectSame(read, sent)
        }
        let anonymous = ForwardedRequest(method: "GET", path: "/", clientIP: "127.0.0.1")
        let read = try #require(HTTPForwardFrame.scan(try frame(anonymous)))
        expectSame(read, anonymous)
        #expect(read.body == nil)
        #expect(read.principal == nil)
    }

    @Test func escapesOtherWritersUseAreReadToo() throws {
        // `\/`, `\u` escapes and a surrogate pair: legal JSON that `JSONEncoder` happens not to write.
        let text =
            #"{"id":"1","method":"http.request","params":{"method":"GET","path":"\/a\u00fc\ud83d\ude00","query":{},"headers":{},"body":null,"clientIP":"x","principal":null},"deadline":5}"#
        let read = try #require(HTTPForwardFrame.scan(Array(text.utf8)))
        #expect(read.path == "/aü😀")
        // A lone surrogate is not a character: refused by the scan, and then by `JSONDecoder`'s own rules.
        let lone = text.replacingOccurrences(of: #"\ud83d\ude00"#, with: #"\ud83d"#)
        #expect(HTTPForwardFrame.scan(Array(lone.utf8)) == nil)
    }

    @Test func framesMissingOrMistypingAFieldGetTheTypedPathsRefusal() throws {
        let cases = [
            #"{"id":"1","params":{"method":"GET","path":"/","headers":{},"clientIP":"x"}}"#,
            #"{"id":"1","params":{"method":"GET","path":"/","query":{},"headers":{"a":1},"clientIP":"x"}}"#,
            #"{"id":"1","params":{"method":7,"path":"/","query":{},"headers":{},"clientIP":"x"}}"#,
            #"{"id":"1","params":{"method":"GET","path":"/","query":{},"headers":{},"clientIP":"x","principal":{"user":"u"}}}"#,
            #"{"id":"1","params":{"method":"GET","path":"/","query":{},"headers":{},"clientIP":"x","body":5}}"#,
            #"{"id":"1"}"#, "[]", "", "nonsense",
        ]
        for text in cases {
            #expect(HTTPForwardFrame.scan(Array(text.utf8)) == nil, "\(text)")
            guard case .failure(let refusal) = HTTPForwardFrame.request(Array(text.utf8), id: "r1") else {
                Issue.record("accepted: \(text)")
                continue
            }
            let reply = try JSONDecoder().decode(RPCResponseEnvelope<ForwardedResponse>.self, from: Data(refusal.reply))
            #expect(reply.id == "r1")
            #expect(!reply.ok)
            #expect(reply.error?.code == RPCError.badRequest("").code)
        }
    }

    @Test func everyTruncationOfAFrameIsRefusedWithoutATrap() throws {
        let sent = ForwardedRequest(
            method: "POST", path: "/getCode", query: ["a": "b"], headers: ["content-type": "text/plain"], body: "ab\"c\\d\u{1}é",
            clientIP: "10.0.0.1", principal: Principal(user: "u", roles: ["viewer"]))
        let bytes = try frame(sent)
        for length in 0..<bytes.count {
            #expect(HTTPForwardFrame.scan(Array(bytes[0..<length])) == nil, "prefix \(length)")
        }
        // Arbitrary bytes in place of any one byte: read or refused, never a trap.
        for position in stride(from: 0, to: bytes.count, by: 3) {
            for byte: UInt8 in [0x00, 0x22, 0x5C, 0x7B, 0x7D, 0xFF] {
                var mutated = bytes
                mutated[position] = byte
                _ = HTTPForwardFrame.request(mutated, id: "m")
            }
        }
    }

    @Test func theReplyDecodesToTheSameResponse() throws {
        for text in Self.awkward {
            let response = ForwardedResponse(
                status: 299, headers: ["content-type": "application/json", "x-\(text.count)": text.prefix(30).description], body: text)
            let reply = HTTPForwardFrame.reply(id: "a\"b", response)
            let decoded = try JSONDecoder().decode(RPCResponseEnvelope<ForwardedResponse>.self, from: Data(reply))
            #expect(decoded.id == "a\"b")
            #expect(decoded.ok)
            #expect(decoded.result?.status == 299)
            #expect(decoded.result?.headers == response.headers)
            #expect(decoded.result?.body == text)
        }
    }

    @Test func theBufferWriterWritesTheSameBytesAsTheStringWriter() {
        let inputs: [[UInt8]] = Self.awkward.map { Array($0.utf8) } + [[0xFF, 0xFE, 0x41], [0xC3], [0x22, 0x80]]
        for input in inputs {
            var fast = JSONWriter()
            input.withUnsafeBytes { fast.string(utf8: $0) }
            var reference = JSONWriter()
            reference.string(String(decoding: input, as: UTF8.self))
            #expect(fast.bytes == reference.bytes, "\(input.prefix(20))")
        }
    }
}
