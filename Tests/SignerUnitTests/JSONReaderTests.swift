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

    /// The Java client reads `_id` into an `Integer` (`UkeyResponse`), so `1`, `"1"`, `" 1 "` and `1.0` are request 1; an
    /// `_id` that is no integer names no request of ours and must never be matched to one.
    @Test func idFormsAndForeignIDs() throws {
        for id in ["5", "\"5\"", "\" 5 \"", "5.0", "5e0"] {
            let reply = try #require(EPortFrames.parseReply(#"{"_id":\#(id),"Result":true,"Data":[]}"#))
            #expect(reply.id == 5 && !reply.foreignID, "\(id)")
        }
        for id in ["\"x7\"", "1.5", "true", "[]", "{}", "\"\"", "1e300"] {
            let reply = try #require(EPortFrames.parseReply(#"{"_id":\#(id),"Result":true,"Data":[]}"#))
            #expect(reply.id == nil && reply.foreignID, "\(id)")
        }
        for text in [#"{"Result":true,"Data":[]}"#, #"{"_id":null,"Result":true,"Data":[]}"#] {
            let reply = try #require(EPortFrames.parseReply(text))
            #expect(reply.id == nil && !reply.foreignID, "\(text)")
        }
    }

    /// `WebSocketClientHandler.sendAlertSignFailure`'s example: `_status` `"00"` yet `Result:false` is a failed signature.
    @Test func statusZeroZeroWithResultFalseIsAnError() throws {
        let text = #"""
            {"_id":1,"_method":"cus-sec_SpcSignDataAsPEM","_status":"00","_args":{"Result":false,"Data":[],"Error":["[读卡器底层库]复位读卡器失败:错误码\u003d50070","Err:Custom50070"]}}
            """#
        let reply = try #require(EPortFrames.parseReply(text))
        #expect(reply.status == "00" && reply.result == false)
        #expect(throws: UpstreamError.rejected(["[读卡器底层库]复位读卡器失败:错误码=50070", "Err:Custom50070"])) { try reply.signature() }
        #expect(throws: UpstreamError.self) { try reply.digest() }
        #expect(throws: UpstreamError.self) { try reply.certificate() }
        // Data present but Result false is still a failure, whatever Data says.
        let withData = try #require(EPortFrames.parseReply(#"{"_id":1,"_status":"00","_args":{"Result":false,"Data":["c2ln","C"],"Error":[]}}"#))
        #expect(throws: UpstreamError.rejected([])) { try withData.signature() }
    }

    @Test func nextBlockFramesAreToldApartFromReplies() {
        let ask =
            #"{"_id":0,"_method":"_nextBlock","_status":"00","_args":{"Result":true,"Data":[{"id":1,"guid":"g-1","next":2,"finish":false}],"Error":[]}}"#
        #expect(EPortFrames.parse(ask) == .nextBlock(.init(guid: "g-1", next: 2, finish: false, retry: false)))
        let again = #"{"_method":"_nextBlock","_args":{"Result":false,"Data":[{"guid":"g-1","next":"1"}],"Error":["bad"]}}"#
        #expect(EPortFrames.parse(again) == .nextBlock(.init(guid: "g-1", next: 1, finish: false, retry: true)))
        let done = #"{"_method":"_nextBlock","_args":{"Result":true,"Data":[{"guid":"g-1","finish":true}],"Error":[]}}"#
        #expect(EPortFrames.parse(done) == .nextBlock(.init(guid: "g-1", next: nil, finish: true, retry: false)))
        // A `_nextBlock` without a guid is no block request: it stays a reply (that no request will take).
        guard case .reply(let reply) = EPortFrames.parse(#"{"_method":"_nextBlock","_args":{"Result":true,"Data":["x"]}}"#) else {
            Issue.record("not a reply")
            return
        }
        #expect(reply.method == "_nextBlock")
        #expect(EPortFrames.parse("<html>") == .notJSON)
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
