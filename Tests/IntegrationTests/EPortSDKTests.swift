import AuthTokens
import COpenSSL
import Foundation
import OpenSSLCrypto
import TestSupport
import Testing

/// The e-port signing protocol as its real clients speak it, replayed on the wire against signer-sim and through the
/// signer. The frames follow `github:Weasley-J/chinaport-data-signature` (webapp module): the Java client's
/// `config/UkeyInitialConfig.java` (request shapes), `core/SignHandler.java` and `core/WebSocketClientHandler.java`
/// (what it matches and reads in a reply), `entity/UkeyRequest.java` / `UkeyResponse.java` (field types: `_id` an
/// `Integer`), and the official e-port JavaScript SDK it ships, `src/main/resources/static/client.js` (`baseInvoke`,
/// `sendFrames`, `callbacks._nextBlock`, `getDataHeader`, `DIGEST.CheckCode`).
@Suite("E-port SDK: the real clients' frames against signer-sim and the signer", .serialized, .timeLimit(.minutes(3)))
struct EPortSDKTests {
    // MARK: The Java client and the SDK against signer-sim directly

    /// What the Java client sends and what it reads back, for each of the calls it makes.
    @Test func theJavaClientsFramesGetTheAnswersItReads() async throws {
        let rig = try await SignerRig.start()
        defer { rig.shutdown() }
        let socket = try await TestWebSocket.connect(port: rig.simPort, path: "/")
        defer { Task { await socket.close() } }
        // WebSocketClientHandler: the client greets first; DESIGN §8 and the seed bridge check `_method` "open".
        let open = try Self.object(await socket.next())
        #expect(open["_method"] as? String == "open" && open["_status"] as? String == "00")

        // UkeyInitialConfig.getSignDataAsPEM (Jackson, UkeyRequest's field order: _method, _id, args).
        let inData =
            #""sessionID":"ad2254-8hewyf32-55616249"||"payExchangeInfoHead":"{"guid":"9D55BA71","totalAmount":100}"||"serviceTime":"1544519952469""#
        socket.send(Self.json(["_method": "cus-sec_SpcSignDataAsPEM", "_id": 7, "args": ["inData": inData, "passwd": SignerRig.password]]))
        // WebSocketClientHandler.handleTextMessage: `_id` equal to the request's, `_args.Result` true, Data[0] the
        // signature, Data[1] the cert no.
        let signed = try Self.object(await socket.next())
        #expect(signed["_id"] as? Int == 7 && signed["_method"] as? String == "cus-sec_SpcSignDataAsPEM" && signed["_status"] as? String == "00")
        let signedArgs = try #require(signed["_args"] as? [String: Any])
        let signedData = try #require(signedArgs["Data"] as? [String])
        #expect(signedArgs["Result"] as? Bool == true && signedData.count == 2 && signedData[1] == "SIM-0001")
        #expect(rig.verifies(signedData[0], for: inData))

        // UkeyInitialConfig.getSHA1DigestAsPEMParams: szInfo and passwd.
        let xml =
            "<ceb:CEB311Message guid=\"tCEB311_HNZB\" version=\"1.0\"><ceb:Order><ceb:buyerName>袁晓雨</ceb:buyerName></ceb:Order></ceb:CEB311Message>"
        socket.send(Self.json(["_method": "cus-sec_SpcSHA1DigestAsPEM", "_id": 8, "args": ["szInfo": xml, "passwd": SignerRig.password]]))
        let digest = try Self.object(await socket.next())
        #expect(digest["_id"] as? Int == 8)
        let digestData = try #require((digest["_args"] as? [String: Any])?["Data"] as? [String])
        #expect(digestData == [Data(Digest.sha1(Array(xml.utf8))).base64EncodedString()])

        // UkeyInitialConfig.getX509CertificateParameter: `_id` 1, empty args; CertificateHandler wraps Data[0] in PEM
        // armour and parses it as X.509.
        socket.send(Self.json(["_method": "cus-sec_SpcGetSignCertAsPEM", "_id": 1, "args": [String: String]()]))
        let certificate = try Self.object(await socket.next())
        #expect(certificate["_id"] as? Int == 1)
        let certificateData = try #require((certificate["_args"] as? [String: Any])?["Data"] as? [String])
        let der = try #require(certificateData.first)
        #expect(!der.contains("BEGIN") && !der.contains("\n"), "one base64 line without armour")
        let simPublicKey = try await rig.simGet("/public.pem")
        #expect(try Self.publicKeyPEM(ofCertificate: der) == simPublicKey)

        // The SDK's `cusSpcSHA1DigestAsPEM` (baseInvoke): `_id` counting from 0, szInfo without passwd.
        socket.send(Self.json(["_method": "cus-sec_SpcSHA1DigestAsPEM", "_id": 0, "args": ["szInfo": "abc"]]))
        let sdkDigest = try Self.object(await socket.next())
        #expect((sdkDigest["_args"] as? [String: Any])?["Data"] as? [String] == ["qZk+NkcGgWq6PiVxeFDCbJzQ2J0="])

        // WebSocketClientHandler.sendAlertSignFailure's case: `_status` "00" with Result false and the card's errors.
        socket.send(Self.json(["_method": "cus-sec_SpcSignDataAsPEM", "_id": 9, "args": ["inData": "x", "passwd": "wrong"]]))
        let refused = try Self.object(await socket.next())
        let refusedArgs = try #require(refused["_args"] as? [String: Any])
        #expect(refused["_status"] as? String == "00" && refusedArgs["Result"] as? Bool == false)
        #expect((refusedArgs["Error"] as? [String])?.contains("Err:Custom50070") == true)
    }

    /// `sendFrames` and `callbacks._nextBlock`: block 0 behind its header, then each block the client asks for, a
    /// damaged block sent again when the client answers `Result:false`, and the reply once the last block is in.
    @Test func theSDKsBlockTransferReachesTheSim() async throws {
        let rig = try await SignerRig.start(sim: ["--max-whole-frame-kb", "120"])
        defer { rig.shutdown() }
        let socket = try await TestWebSocket.connect(port: rig.simPort, path: "/")
        defer { Task { await socket.close() } }
        _ = await socket.next()
        #expect(SDKBlocks.checkCode("123456789") == "374B", "the SDK's own DIGEST.CheckCode value")

        let inData = String(repeating: "报关单", count: 30_000) + String(repeating: "x", count: 100_000) + " \(UUID().uuidString)"
        let whole = Self.json(["_method": "cus-sec_SpcSignDataAsPEM", "_id": 3, "args": ["inData": inData, "passwd": SignerRig.password]])
        // A client that expects blocks refuses the same request in one frame.
        socket.send(whole)
        let tooBig = try Self.object(await socket.next())
        #expect((tooBig["_args"] as? [String: Any])?["Result"] as? Bool == false, "\(tooBig)")

        let blocks = SDKBlocks.split(whole)
        #expect(blocks.count >= 3)
        let guid = UUID().uuidString.lowercased()
        // Block 0 with a wrong block check code first: the client asks for block 0 again with Result false.
        socket.send(SDKBlocks.frame(whole, blocks, number: 0, guid: guid, damaged: true))
        var asked = try Self.nextBlock(await socket.next())
        #expect(asked.result == false && asked.next == 0 && asked.guid == guid)
        socket.send(SDKBlocks.frame(whole, blocks, number: 0, guid: guid))
        for expected in 1..<blocks.count {
            asked = try Self.nextBlock(await socket.next())
            #expect(asked.result && asked.next == expected && !asked.finish, "block \(expected)")
            socket.send(SDKBlocks.frame(whole, blocks, number: asked.next, guid: guid))
        }
        asked = try Self.nextBlock(await socket.next())
        #expect(asked.finish && asked.guid == guid)
        let signed = try Self.object(await socket.next(timeout: .seconds(10)))
        #expect(signed["_id"] as? Int == 3 && signed["_method"] as? String == "cus-sec_SpcSignDataAsPEM")
        let data = try #require((signed["_args"] as? [String: Any])?["Data"] as? [String])
        #expect(rig.verifies(data.first ?? "", for: inData), "the reassembled request is the one that was split")
    }

    // MARK: Through the signer

    /// Past 120 KB the signer sends `BLOCKTXT` blocks when `SWITCHBOARD_SIGNER_BLOCK_FRAMES` says the client expects
    /// them; without it, a client that expects them refuses the whole frame and `/getCode` says so.
    @Test func largeRequestsGoInBlocksWhenTheUpstreamExpectsThem() async throws {
        let ascii = "大报文 " + String(repeating: "<ceb:Order>x</ceb:Order>", count: 8_000) + UUID().uuidString
        let cjk = String(repeating: "报关单", count: 20_000) + UUID().uuidString
        do {
            let rig = try await SignerRig.start(sim: ["--max-whole-frame-kb", "120"])
            defer { rig.shutdown() }
            let message = try SignerRig.errorMessage(try await rig.getCode(str: ascii), status: 502)
            #expect(message.contains("分块"), "\(message)")
            #expect(rig.verifies(try SignerRig.decodeSuccess(try await rig.getCode(str: "small")).sign, for: "small"))
        }
        for (mode, signer) in [("serial", [String: String]()), ("multiplex", ["SWITCHBOARD_SIGNER_MULTIPLEX": "1"])] {
            var environment = ["SWITCHBOARD_SIGNER_BLOCK_FRAMES": "1", "SWITCHBOARD_SIGNER_POOL_SIZE": "2"]
            for (key, value) in signer { environment[key] = value }
            let sim = ["--max-whole-frame-kb", "120"] + (mode == "multiplex" ? ["--serial", "false"] : [])
            let rig = try await SignerRig.start(sim: sim, signer: environment)
            defer { rig.shutdown() }
            // Two large and two small callers at once: every one gets the signature of its own text.
            let texts = [ascii, cjk, "small one", "small two"]
            let signs = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for text in texts { group.addTask { (text, try SignerRig.decodeSuccess(try await rig.getCode(str: text)).sign) } }
                return try await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
            }
            for text in texts { #expect(rig.verifies(signs[text] ?? "", for: text), "\(mode): \(text.prefix(12))") }
        }
    }

    /// The upstream may write `_id` as a string or a number; both reach the caller that asked, under load and after a
    /// timeout, in both pool modes.
    @Test(arguments: [
        ("serial, string _id", ["--id-form", "string", "--latency-ms", "5"], [String: String]()),
        ("multiplex, string _id", ["--id-form", "string", "--latency-ms", "5", "--serial", "false"], ["SWITCHBOARD_SIGNER_MULTIPLEX": "1"]),
        ("multiplex, number _id", ["--id-form", "number", "--latency-ms", "5", "--serial", "false"], ["SWITCHBOARD_SIGNER_MULTIPLEX": "1"]),
    ])
    func stringAndNumberIDsReachTheirOwnCallers(_ mode: String, _ sim: [String], _ signer: [String: String]) async throws {
        var environment = ["SWITCHBOARD_SIGNER_POOL_SIZE": "2", "SWITCHBOARD_SIGNER_TIMEOUT_MS": "1000"]
        for (key, value) in signer { environment[key] = value }
        let rig = try await SignerRig.start(sim: sim, signer: environment)
        defer { rig.shutdown() }
        let results = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for index in 0..<24 {
                group.addTask {
                    let str = "caller \(index) \(UUID().uuidString)"
                    return (str, try SignerRig.decodeSuccess(try await rig.getCode(str: str)).sign)
                }
            }
            return try await group.reduce(into: [(String, String)]()) { $0.append($1) }
        }
        #expect(results.count == 24 && results.allSatisfy { rig.verifies($0.1, for: $0.0) }, "\(mode)")
        let slow = "#sleep=1500#slow \(UUID().uuidString)"
        _ = try SignerRig.errorMessage(try await rig.getCode(str: slow), status: 504)
        let next = "#sleep=700#next \(UUID().uuidString)"
        let sign = try SignerRig.decodeSuccess(try await rig.getCode(str: next)).sign
        #expect(rig.verifies(sign, for: next) && !rig.verifies(sign, for: slow), "\(mode): the late reply reached the next caller")
    }

    /// `/api/sign` offers the SDK's `cus-sec_SpcSHA1DigestAsPEM` and `cus-sec_SpcGetSignCertAsPEM` under their SDK
    /// names, with real crypto behind them: the digest is SHA-1 of the text and the certificate holds the key that
    /// made the signatures.
    @Test func apiSignOffersTheDigestAndTheCertificate() async throws {
        let rig = try await SignerRig.start()
        defer { rig.shutdown() }
        let tokens = await TokenAuthority(secret: TestSecrets.jwt)
        let token = try await tokens.issueAccess(user: "op", roles: ["operator"], lifetime: .seconds(300)).token
        func call(_ body: [String: String]) async throws -> Cluster.HTTPAnswer {
            let data = try JSONSerialization.data(withJSONObject: body)
            return try await rig.cluster.http(
                "POST", "/api/sign", body: data, headers: ["Content-Type": "application/json", "Authorization": "Bearer \(token)"])
        }
        let xml = "<ds:SignedInfo><ds:DigestValue>报关</ds:DigestValue></ds:SignedInfo>"
        for body in [
            ["op": "cus-sec_SpcSHA1DigestAsPEM", "data": xml], ["op": "cus-sec_SpcSHA1DigestAsPEM", "data": xml, "password": SignerRig.password],
        ] {
            let answer = try await call(body)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(try answer.json()["digest"] as? String == Data(Digest.sha1(Array(xml.utf8))).base64EncodedString())
        }
        let wrong = try await call(["op": "cus-sec_SpcSHA1DigestAsPEM", "data": xml, "password": "wrong"])
        #expect(wrong.status == 502, "\(wrong.text)")
        #expect(try wrong.json()["code"] as? String == "upstream_rejected", "\(wrong.text)")
        #expect(try await call(["op": "cus-sec_SpcSHA1DigestAsPEM"]).status == 400)

        let certificate = try await call(["op": "cus-sec_SpcGetSignCertAsPEM"])
        #expect(certificate.status == 200, "\(certificate.text)")
        let body = try certificate.json()
        let der = try #require(body["certificate"] as? String)
        let pem = try #require(body["pem"] as? String)
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----\n") && pem.hasSuffix("\n-----END CERTIFICATE-----\n"))
        #expect(pem.split(separator: "\n").dropFirst().dropLast().allSatisfy { $0.count <= 64 })
        let simPublicKey = try await rig.simGet("/public.pem")
        #expect(try Self.publicKeyPEM(ofCertificate: der) == simPublicKey)
        #expect(try await rig.simGet("/cert.pem") == pem)

        // The SDK's names for the two calls `/api/sign` had already.
        let signed = try await call(["op": "cus-sec_SpcSignDataAsPEM", "data": xml, "password": SignerRig.password])
        #expect(rig.verifies(try signed.json()["signature"] as? String ?? "", for: xml), "\(signed.text)")
        #expect(try await call(["op": "cus-sec_SpcGetCertNo"]).json()["cert_no"] as? String == "SIM-0001")
    }

    // MARK: Helpers

    static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
    }

    static func object(_ text: String?) throws -> [String: Any] {
        guard let text, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(text ?? "no frame")")
        }
        return object
    }

    /// `callbacks._nextBlock`'s view of a frame: `_args.Result` and `Data[0]`'s guid, next and finish.
    static func nextBlock(_ text: String?) throws -> (result: Bool, guid: String, next: Int, finish: Bool) {
        let frame = try object(text)
        guard frame["_method"] as? String == "_nextBlock", let args = frame["_args"] as? [String: Any],
            let item = (args["Data"] as? [[String: Any]])?.first, let guid = item["guid"] as? String
        else { throw HarnessError("not a _nextBlock frame: \(text ?? "no frame")") }
        return (args["Result"] as? Bool ?? false, guid, item["next"] as? Int ?? -1, item["finish"] as? Bool ?? false)
    }

    /// The public key (SubjectPublicKeyInfo PEM) of a base64 DER certificate, read with OpenSSL.
    static func publicKeyPEM(ofCertificate base64: String) throws -> String {
        guard let der = Data(base64Encoded: base64) else { throw HarnessError("certificate is not base64") }
        let bytes = Array(der)
        let certificate: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let certificate else { throw HarnessError("certificate is not X.509 DER") }
        defer { X509_free(certificate) }
        guard let key = X509_get_pubkey(certificate) else { throw HarnessError("certificate has no public key") }
        defer { EVP_PKEY_free(key) }
        guard let bio = BIO_new(BIO_s_mem()) else { throw HarnessError("BIO_new failed") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PUBKEY(bio, key) == 1 else { throw HarnessError("PEM_write_bio_PUBKEY failed") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard length > 0, let pointer else { throw HarnessError("empty PEM") }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}

/// The SDK's sender side of `BLOCKTXT` (`client.js`: `splitStrData`, `getDataHeader`, `DIGEST.CheckCode`), written
/// for the test from the SDK; `checkCode("123456789")` is `374B` in the SDK itself.
enum SDKBlocks {
    /// `splitStrData`: a UTF-16 unit above U+00FF weighs 3, others 1; a block ends past 120 × 1024 − 3.
    static func split(_ text: String) -> [String] {
        let units = Array(text.utf16)
        var blocks: [String] = []
        var start = 0
        var weight = 0
        for index in units.indices {
            weight += units[index] > 0xFF ? 3 : 1
            if weight > 120 * 1024 - 3 {
                blocks.append(String(decoding: units[start...index], as: UTF16.self))
                start = index + 1
                weight = 0
            }
        }
        if start < units.count { blocks.append(String(decoding: units[start...], as: UTF16.self)) }
        return blocks
    }

    static func checkCode(_ text: String) -> String {
        var crc: UInt16 = 0xFFFF
        for unit in text.utf16 {
            crc ^= unit & 0xFF
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return String(format: "%04X", Int((crc << 8) | (crc >> 8)))
    }

    /// `getDataHeader(...) + block`; `damaged` sends a wrong block check code.
    static func frame(_ whole: String, _ blocks: [String], number: Int, guid: String, damaged: Bool = false) -> String {
        func pad(_ text: String, _ width: Int) -> String { String(repeating: "0", count: max(0, width - text.count)) + text }
        let block = blocks[number]
        let blockCode = damaged ? (checkCode(block) == "0000" ? "0001" : "0000") : checkCode(block)
        var header = "BLOCKTXT" + pad(checkCode(whole), 4) + pad(blockCode, 4) + pad(String(whole.utf16.count), 16)
        header += pad(String(block.utf16.count), 8) + pad(String(blocks.count), 4) + pad(guid, 36) + pad(String(number), 4)
        header += String(repeating: "0", count: 128 - header.count)
        return header + block
    }
}
