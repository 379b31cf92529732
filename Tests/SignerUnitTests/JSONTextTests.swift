import Foundation
import SwitchboardProtocol
import Testing

@testable import Signer

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

    @Test func writesWhatTheScalarWriterWrites() {
        for text in ["", "成功", "{\"code\":200,\"msg\":\"成功\",\"data\":\"0A1B\"}", "é\"\\\u{1}\u{7f}😀/", String(repeating: "签名/+=", count: 50)] {
            #expect(JSONText.quote(text) == JSONWriter.quoted(text), "\(text)")
        }
    }
}
