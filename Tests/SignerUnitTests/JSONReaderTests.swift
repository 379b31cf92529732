import Testing

@testable import Signer

@Suite("JSONReader: the signer's small strict JSON parser")
struct JSONReaderTests {
    @Test func parsesTheShapesTheSignerReads() throws {
        let value = try #require(JSONReader.parse(#" {"str":"a\"b\\c\/d\u00e9\ud83d\ude00","n":-1.5e3,"ok":true,"no":null,"list":["x",[],{}]} "#))
        #expect(value["str"] == .string("a\"b\\c/dé😀"))
        #expect(value["n"] == .number("-1.5e3"))
        #expect(value["ok"] == .bool(true))
        #expect(value["no"] == .null)
        #expect(value["list"] == .array([.string("x"), .array([]), .object([])]))
        #expect(JSONReader.parse(#"{"a":1,"a":"last"}"#)?["a"] == .string("last"))
        #expect(JSONReader.parse("\"中文\"") == .string("中文"))
    }

    @Test func refusesWhatIsNotJSON() {
        for text in [
            "", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "tru", "nul", "\"\\x\"", "\"\\ud800\"",
            "\"\\ud800\\u0041\"", "\"a\nb\"", "{} {}", "{'a':1}", "[1 2]", "\"\\u12g4\"",
        ] {
            #expect(JSONReader.parse(text) == nil, "\(text)")
        }
        #expect(JSONReader.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) == nil)
        #expect(JSONReader.parse(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)) != nil)
    }

    @Test func neverTrapsOnTruncatedInput() {
        let text = #"{"str":"x\u00e9\ud83d\ude00","pwdstr":"88888888","n":[1,2.5e-3,{"k":false}]}"#
        let bytes = Array(text.utf8)
        for length in 0...bytes.count {
            guard let prefix = String(validating: bytes.prefix(length), as: UTF8.self) else { continue }
            _ = JSONReader.parse(prefix)
        }
        #expect(JSONReader.parse(text)?["pwdstr"] == .string("88888888"))
    }
}

@Suite("EPortFrames: replies in both forms, _id as int or string")
struct EPortFramesTests {
    @Test func nestedReplyWithIntegerOrStringID() throws {
        for id in ["17", "\"17\""] {
            let text =
                #"{"_id":\#(id),"_method":"cus-sec_SpcSignDataAsPEM","_status":"00","_args":{"Result":true,"Data":["c2ln","CERT-1"],"Error":[]}}"#
            let reply = try #require(EPortFrames.parseReply(text))
            #expect(reply.id == 17)
            #expect(reply.status == "00")
            let signature = try reply.signature()
            #expect(signature.sign == "c2ln" && signature.certNo == "CERT-1")
        }
        #expect(EPortFrames.parseReply(#"{"_id":"x7","Result":true,"Data":[]}"#)?.id == nil)
        #expect(EPortFrames.parseReply(#"{"_id":1.5,"Result":true,"Data":[]}"#)?.id == nil)
    }

    @Test func flatRepliesAndResultSpellings() throws {
        let flat = try #require(EPortFrames.parseReply(#"{"Result":"TRUE","Data":"only","Error":"none"}"#))
        #expect(flat.id == nil && flat.result == true && flat.data == ["only"] && flat.errors == ["none"])
        #expect(EPortFrames.parseReply(#"{"Result":1,"Data":[]}"#)?.result == true)
        #expect(EPortFrames.parseReply(#"{"Result":0,"Data":[]}"#)?.result == false)
        #expect(EPortFrames.parseReply(#"{"_status":1,"_args":{"Result":false,"Error":["Err:Custom50070",5]}}"#)?.errors == ["Err:Custom50070", "5"])
        #expect(EPortFrames.parseReply(#"{"_status":1}"#)?.status == "1")
        #expect(EPortFrames.parseReply("<html>") == nil)
        #expect(EPortFrames.parseReply("[1]") == nil)
    }

    @Test func handshake() {
        #expect(throws: Never.self) { try EPortFrames.checkHandshake(#"{"_id":0,"_method":"open","_status":"00"}"#) }
        #expect(throws: Never.self) { try EPortFrames.checkHandshake(#"{"_method":"open"}"#) }
        #expect(throws: UpstreamError.self) { try EPortFrames.checkHandshake(#"{"_method":"open","_status":"01"}"#) }
        #expect(throws: UpstreamError.self) { try EPortFrames.checkHandshake(#"{"_method":"welcome","_status":"00"}"#) }
        #expect(throws: UpstreamError.self) { try EPortFrames.checkHandshake("not json") }
    }
}
