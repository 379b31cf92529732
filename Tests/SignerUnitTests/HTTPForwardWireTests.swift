import Foundation
import SwitchboardProtocol
import Testing

@testable import Signer

@Suite("HTTPForwardWire: http.request without Codable, same answers")
struct HTTPForwardWireTests {
    func frame(_ request: ForwardedRequest) throws -> [UInt8] {
        Array(try JSONEncoder().encode(RPCRequestEnvelope(id: "9", method: HTTPForward.name, params: request, deadline: 1)))
    }

    @Test func readsWhatTheEdgeEncodes() throws {
        let sent = ForwardedRequest(
            method: "POST", path: "/getCode", query: ["a": "1", "é": "\"q\""], headers: ["content-type": "text/plain"],
            body: "ABCDEF\n\u{1}/", clientIP: "::1", principal: Principal(user: "ops", roles: ["operator", "viewer"]))
        let read = try #require(HTTPForwardWire.scan(try frame(sent)))
        #expect(read.method == sent.method && read.path == sent.path && read.query == sent.query && read.headers == sent.headers)
        #expect(read.body == sent.body && read.clientIP == sent.clientIP && read.principal == sent.principal)
        let anonymous = try #require(HTTPForwardWire.scan(try frame(ForwardedRequest(method: "GET", path: "/", clientIP: "1.2.3.4"))))
        #expect(anonymous.body == nil && anonymous.principal == nil && anonymous.query.isEmpty)
    }

    @Test func leavesOtherShapesToTheTypedPathWhichRefusesThem() {
        for text in [
            #"{"id":"1","params":{"method":"GET","path":"/","clientIP":"x","query":{},"headers":{"a":1}}}"#,
            #"{"id":"1","params":{"method":"GET","path":"/","clientIP":"x","headers":{}}}"#,
            #"{"id":"1","params":{"method":"GET","path":"/","clientIP":"x","query":{},"headers":{},"body":5}}"#,
            #"{"id":"1","params":{"method":"GET","path":"/","clientIP":"x","query":{},"headers":{},"principal":{"user":"u","roles":[1]}}}"#,
            #"{"id":"1","params":"nope"}"#, "not json",
        ] {
            #expect(HTTPForwardWire.scan(Array(text.utf8)) == nil, "\(text)")
            guard case .failure(let refusal) = HTTPForwardWire.request(Array(text.utf8)) else {
                Issue.record("accepted \(text)")
                continue
            }
            let reply = try? JSONDecoder().decode(RPCResponseEnvelope<ForwardedResponse>.self, from: Data(refusal.reply(id: "1")))
            #expect(reply?.ok == false && reply?.error?.code == RPCError.badRequestCode)
        }
    }

    @Test func repliesDecodeAsTheTypedEnvelope() throws {
        let response = ForwardedResponse(
            status: 429, headers: ["retry-after": "3", "content-type": "application/json"], body: "{\"msg\":\"慢\\n\"}\u{0}")
        let reply = try JSONDecoder().decode(
            RPCResponseEnvelope<ForwardedResponse>.self, from: Data(HTTPForwardWire.reply(id: "a\"b", response)))
        #expect(reply.id == "a\"b" && reply.ok)
        #expect(reply.result?.status == 429 && reply.result?.headers == response.headers && reply.result?.body == response.body)
    }
}

@Suite("JSONText.quote")
struct JSONTextTests {
    @Test func escapesOnlyWhatJSONRequiresAndRoundTrips() throws {
        #expect(JSONText.quote("a/b+c=") == "\"a/b+c=\"")
        #expect(JSONText.quote("q\"\\\n\r\t\u{1}\u{1f}中😀") == "\"q\\\"\\\\\\n\\r\\t\\u0001\\u001f中😀\"")
        for text in ["", "plain", "{\"code\":200,\"msg\":\"成功\"}", "\u{0}\u{7f}é"] {
            let decoded = try JSONDecoder().decode([String].self, from: Data("[\(JSONText.quote(text))]".utf8))
            #expect(decoded == [text])
        }
    }
}
