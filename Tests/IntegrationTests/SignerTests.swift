import AuthTokens
import Foundation
import OpenSSLCrypto
import TestSupport
import Testing

/// `/getCode` and `/api/sign` for real: HTTP into the edge, the bus to the signer, WebSocket to signer-sim, and back.
///
/// Every signature is checked against the sim's public key for the `str` that asked for it, so cross-talk between
/// requests — the failure of the bridge this replaces — cannot pass unnoticed.
@Suite("Signer: /getCode bridge, pool and signer-sim", .serialized, .timeLimit(.minutes(3)))
struct SignerTests {
    @Test func roundTripSignsTheCallersOwnStringWithTheSimsKey() async throws {
        let rig = try await SignerRig.start()
        defer { rig.shutdown() }
        let str = "报关单 2024-001 / total=12.50 \"quoted\" \\ \(UUID().uuidString)"
        let answer = try await rig.getCode(str: str)
        #expect(answer.text.hasPrefix("{\"code\":200,\"msg\":\"成功\",\"data\":\""), "byte shape: \(answer.text)")
        #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
        let (sign, certNo) = try SignerRig.decodeSuccess(answer)
        #expect(certNo == "SIM-0001")
        #expect(!sign.contains("BEGIN"), "the signature is bare base64, without PEM armour")
        #expect(rig.verifies(sign, for: str))
        #expect(!rig.verifies(sign, for: str + "x"))

        let lower = try await rig.getCode(str: "lower-case hex", lowercase: true)
        #expect(rig.verifies(try SignerRig.decodeSuccess(lower).sign, for: "lower-case hex"))

        let health = try await rig.cluster.http("GET", "/health").json()
        let details = ((health["services"] as? [String: [String: Any]])?["signer"]?["details"] as? [String: String]) ?? [:]
        #expect(details["upstream_state"] == "connected")
        #expect(details["mode"] == "serial")
        #expect(details["block_frames"] == "off")
        #expect(details["pool_size"] == "4")
        #expect(details["in_use"] == "0")
        #expect(details["queued"] == "0")
    }

    @Test func everyBadBodyIsA400InTheBridgesShape() async throws {
        let rig = try await SignerRig.start(signer: ["SWITCHBOARD_SIGNER_MAX_FIELD_BYTES": "1024"])
        defer { rig.shutdown() }
        let wrongKey = AES.mysqlFoldedKey("abcdefghijklmnop")
        let cases: [(name: String, body: String, says: String)] = [
            ("empty body", "", "为空"),
            ("not hex", "ZZ" + SignerRig.encrypt("{}").dropFirst(2), "十六进制"),
            ("odd length", String(SignerRig.encrypt(SignerRig.requestJSON(str: "a")).dropLast()), "奇数"),
            ("not whole blocks", "00112233", "16"),
            ("wrong key", SignerRig.encrypt(SignerRig.requestJSON(str: "a"), key: wrongKey), "解密失败"),
            ("not JSON", SignerRig.encrypt("hello, bridge"), "JSON"),
            ("a JSON array", SignerRig.encrypt("[\"str\",\"pwdstr\"]"), "JSON"),
            ("no str", SignerRig.encrypt("{\"pwdstr\":\"88888888\"}"), "缺少参数 str"),
            ("no pwdstr", SignerRig.encrypt("{\"str\":\"a\"}"), "缺少参数 pwdstr"),
            ("str a number", SignerRig.encrypt("{\"str\":42,\"pwdstr\":\"88888888\"}"), "str 必须是字符串"),
            ("pwdstr a bool", SignerRig.encrypt("{\"str\":\"a\",\"pwdstr\":true}"), "pwdstr 必须是字符串"),
            ("str null", SignerRig.encrypt("{\"str\":null,\"pwdstr\":\"88888888\"}"), "缺少参数 str"),
            ("empty str", SignerRig.encrypt(SignerRig.requestJSON(str: "")), "str 不能为空"),
            ("empty pwdstr", SignerRig.encrypt(SignerRig.requestJSON(str: "a", pwdstr: "")), "pwdstr 不能为空"),
            ("oversized str", SignerRig.encrypt(SignerRig.requestJSON(str: String(repeating: "x", count: 2000))), "过长"),
        ]
        for item in cases {
            let answer = try await rig.getCode(body: item.body)
            let message = try SignerRig.errorMessage(answer, status: 400)
            #expect(message.contains(item.says), "\(item.name): \(message)")
        }
        #expect(try await rig.simRequests() == 0, "no bad body may reach the upstream")
    }

    @Test func upstreamDownIsA502WithinTwoSeconds() async throws {
        let rig = try await SignerRig.start(sim: nil)
        defer { rig.shutdown() }
        let start = ContinuousClock.now
        let answer = try await rig.getCode(str: "nobody listens")
        let elapsed = start.duration(to: .now)
        let message = try SignerRig.errorMessage(answer, status: 502)
        #expect(message.contains("连接签名服务失败"), "\(message)")
        #expect(elapsed < .seconds(2), "took \(elapsed)")

        // The next request reconnects by itself once the upstream is back.
        try await rig.startSim([])
        let str = "upstream is back"
        #expect(rig.verifies(try SignerRig.decodeSuccess(try await rig.getCode(str: str)).sign, for: str))
    }

    /// The flaw of the bridge this replaces: after one timeout, every later caller got the previous caller's signature
    /// with a 200. Here the timed-out request's late reply must never reach the next one — whether the upstream echoes
    /// `_id` or not (serial: the connection is discarded), and with several requests on one connection (multiplex).
    @Test(arguments: [
        ("serial", ["--echo-id", "true"], [String: String]()),
        ("serial, no _id echo", ["--echo-id", "false"], [:]),
        // A sim that answers concurrently and never echoes `_id`: only discarding the connection saves the next caller.
        ("serial, concurrent sim, no _id echo", ["--echo-id", "false", "--serial", "false"], [:]),
        ("multiplex", ["--serial", "false"], ["SWITCHBOARD_SIGNER_MULTIPLEX": "1"]),
    ])
    func aTimedOutRequestsLateReplyNeverReachesTheNextCaller(_ mode: String, _ sim: [String], _ signer: [String: String]) async throws {
        var environment = ["SWITCHBOARD_SIGNER_TIMEOUT_MS": "1000", "SWITCHBOARD_SIGNER_POOL_SIZE": "1"]
        for (key, value) in signer { environment[key] = value }
        let rig = try await SignerRig.start(sim: sim, signer: environment)
        defer { rig.shutdown() }
        _ = try SignerRig.decodeSuccess(try await rig.getCode(str: "warm-up"))

        // The slow caller gives up at 1 s; its reply comes at 1.5 s, while the next caller (answered at about 1.8 s) waits.
        let slow = "#sleep=1500#slow caller \(UUID().uuidString)"
        let start = ContinuousClock.now
        let timedOut = try await rig.getCode(str: slow)
        let elapsed = start.duration(to: .now)
        let message = try SignerRig.errorMessage(timedOut, status: 504)
        #expect(message.contains("超时"), "\(mode): \(message)")
        // The 504 itself says the deadline, not the late reply, ended it; the time says it waited for the 1 s deadline
        // and not for anything much longer (a loaded machine may add to it, never take from it).
        let signerTimeout = Duration.milliseconds(1000)
        #expect(elapsed >= signerTimeout * 0.95 && elapsed < signerTimeout * 5, "\(mode): 504 after \(elapsed)")

        for round in 0..<2 {
            let str = (round == 0 ? "#sleep=800#" : "") + "next caller \(round) \(UUID().uuidString)"
            let answer = try await rig.getCode(str: str)
            let sign = try SignerRig.decodeSuccess(answer).sign
            #expect(rig.verifies(sign, for: str), "\(mode): round \(round) got a signature that is not for its own str")
            #expect(!rig.verifies(sign, for: slow), "\(mode): round \(round) got the timed-out request's late reply")
        }
    }

    @Test func aConnectionDroppedMidRequestIsRetriedExactlyOnce() async throws {
        let rig = try await SignerRig.start(sim: ["--drop-first", "1", "--latency-ms", "50"])
        defer { rig.shutdown() }
        let str = "dropped once"
        let answer = try await rig.getCode(str: str)
        #expect(rig.verifies(try SignerRig.decodeSuccess(answer).sign, for: str))
        #expect(try await rig.simRequests() == 2, "one dropped attempt and one retry")

        try await rig.startSim(["--drop-first", "2"])
        let twice = try await rig.getCode(str: "dropped twice")
        let message = try SignerRig.errorMessage(twice, status: 502)
        #expect(message.contains("断开"), "\(message)")
        #expect(try await rig.simRequests() == 2, "a single retry, not more")
    }

    @Test func aWrongHandshakeIsA502SayingSo() async throws {
        let rig = try await SignerRig.start(sim: ["--bad-handshake"])
        defer { rig.shutdown() }
        let message = try SignerRig.errorMessage(try await rig.getCode(str: "a"), status: 502)
        #expect(message.contains("握手失败") && message.contains("open"), "\(message)")
        #expect(try await rig.simRequests() == 0, "nothing is sent on a connection that failed its handshake")
    }

    @Test func upstreamRefusalsAndGarbageAre502sCarryingTheUpstreamsWords() async throws {
        let rig = try await SignerRig.start(sim: ["--error-rate", "1"])
        defer { rig.shutdown() }
        let refused = try SignerRig.errorMessage(try await rig.getCode(str: "a"), status: 502)
        #expect(refused.contains("Err:Custom50070"), "\(refused)")
        #expect(try await rig.simRequests() == 1, "Result:false is not retried")

        try await rig.startSim([])
        let wrongPassword = try SignerRig.errorMessage(try await rig.getCode(str: "a", pwdstr: "wrong"), status: 502)
        #expect(wrongPassword.contains("Err:Custom50070") && wrongPassword.contains("密码错误"), "\(wrongPassword)")

        try await rig.startSim(["--garbage-rate", "1"])
        let garbage = try SignerRig.errorMessage(try await rig.getCode(str: "a"), status: 502)
        #expect(garbage.contains("响应无效"), "\(garbage)")

        try await rig.startSim(["--flat"])
        let str = "flat replies are fine"
        #expect(rig.verifies(try SignerRig.decodeSuccess(try await rig.getCode(str: str)).sign, for: str))
    }

    @Test(arguments: [
        ("serial pool of 4", ["--latency-ms", "20"], ["SWITCHBOARD_SIGNER_POOL_SIZE": "4"]),
        (
            "multiplex on one connection", ["--latency-ms", "20", "--serial", "false"],
            ["SWITCHBOARD_SIGNER_POOL_SIZE": "1", "SWITCHBOARD_SIGNER_MULTIPLEX": "1"]
        ),
    ])
    func sixtyFourConcurrentCallersEachGetTheirOwnSignature(_ mode: String, _ sim: [String], _ signer: [String: String]) async throws {
        let rig = try await SignerRig.start(sim: sim, signer: signer)
        defer { rig.shutdown() }
        let results = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for index in 0..<64 {
                group.addTask {
                    let str = "caller \(index) \(UUID().uuidString)"
                    return (str, try SignerRig.decodeSuccess(try await rig.getCode(str: str)).sign)
                }
            }
            return try await group.reduce(into: [(String, String)]()) { $0.append($1) }
        }
        #expect(results.count == 64)
        let crossed = results.filter { !rig.verifies($0.1, for: $0.0) }
        #expect(crossed.isEmpty, "\(mode): \(crossed.count) callers got a signature for another str")
        #expect(Set(results.map(\.1)).count == 64)
    }

    @Test func multiplexWithoutEchoedIDsFailsFastInsteadOfHanging() async throws {
        let rig = try await SignerRig.start(
            sim: ["--echo-id", "false", "--serial", "false"],
            signer: ["SWITCHBOARD_SIGNER_MULTIPLEX": "1", "SWITCHBOARD_SIGNER_TIMEOUT_MS": "5000"]
        )
        defer { rig.shutdown() }
        let start = ContinuousClock.now
        let message = try SignerRig.errorMessage(try await rig.getCode(str: "a"), status: 502)
        #expect(message.contains("_id"), "\(message)")
        #expect(start.duration(to: .now) < .seconds(2))
    }

    @Test func aFullQueueAnswers503BusyAtOnce() async throws {
        let rig = try await SignerRig.start(
            sim: ["--latency-ms", "1000"],
            signer: ["SWITCHBOARD_SIGNER_POOL_SIZE": "1", "SWITCHBOARD_SIGNER_QUEUE_LIMIT": "0"]
        )
        defer { rig.shutdown() }
        async let first = rig.getCode(str: "first")
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        let message = try SignerRig.errorMessage(try await rig.getCode(str: "second"), status: 503)
        #expect(message.contains("繁忙"), "\(message)")
        // At once: before the request ahead of it (1 s of sim latency) is even answered, let alone its own turn.
        #expect(start.duration(to: .now) < .milliseconds(1000))
        #expect(rig.verifies(try SignerRig.decodeSuccess(try await first).sign, for: "first"))
    }

    @Test func apiSignNeedsAnOperatorAndSpeaksPlainJSON() async throws {
        let rig = try await SignerRig.start()
        defer { rig.shutdown() }
        let tokens = await TokenAuthority(secret: TestSecrets.jwt)
        let operatorToken = try await tokens.issueAccess(user: "op", roles: ["operator"], lifetime: .seconds(300)).token
        let viewerToken = try await tokens.issueAccess(user: "viewer", roles: ["viewer"], lifetime: .seconds(300)).token
        func sign(_ body: String, token: String?) async throws -> Cluster.HTTPAnswer {
            var headers = ["Content-Type": "application/json"]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            return try await rig.cluster.http("POST", "/api/sign", body: Data(body.utf8), headers: headers)
        }
        let request = "{\"op\":\"sign\",\"data\":\"plain data\",\"password\":\"88888888\"}"

        let anonymous = try await sign(request, token: nil)
        #expect(anonymous.status == 401)
        #expect(try anonymous.json()["code"] as? String == "unauthorized")
        #expect(try await sign(request, token: viewerToken).status == 403)

        let signed = try await sign(request, token: operatorToken)
        #expect(signed.status == 200, "\(signed.text)")
        let body = try signed.json()
        #expect(body["cert_no"] as? String == "SIM-0001")
        #expect(rig.verifies(body["signature"] as? String ?? "", for: "plain data"))

        let certNo = try await sign("{\"op\":\"cert_no\"}", token: operatorToken)
        #expect(certNo.status == 200)
        #expect(try certNo.json()["cert_no"] as? String == "SIM-0001")

        let missing = try await sign("{\"op\":\"sign\",\"data\":\"x\"}", token: operatorToken)
        #expect(missing.status == 400)
        #expect(try missing.json()["code"] as? String == "invalid_body")
        #expect(try await sign("{\"op\":\"launch\"}", token: operatorToken).status == 400)

        let refused = try await sign("{\"op\":\"sign\",\"data\":\"x\",\"password\":\"wrong\"}", token: operatorToken)
        #expect(refused.status == 502)
        let refusal = try refused.json()
        #expect(refusal["code"] as? String == "upstream_rejected")
        #expect((refusal["message"] as? String)?.contains("Err:Custom50070") == true)
    }

    @Test func productionRefusesTheWellKnownAESKey() async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        let refused = try await cluster.runToExit("signer", environment: ["SWITCHBOARD_ENV": "production"], timeout: .seconds(10))
        #expect(refused.status != 0)
        #expect(refused.output.contains("SWITCHBOARD_SIGNER_AES_KEY"), "\(refused.output)")
    }

    @Test(arguments: [
        // Two copies of any 16 bytes cancel out, so these fold to the well-known default and to zeros.
        ("folds to the default", "1234567887654321" + String(repeating: "abcdefghijklmnop", count: 2), "well-known default"),
        ("folds to zeros", String(repeating: "abcdefghijklmnop", count: 2), "zero bytes"),
        ("shorter than 16 bytes", "short-key-123", "shorter than 16 bytes"),
    ])
    func productionJudgesTheFoldedAESKey(_ name: String, _ key: String, _ reason: String) async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        let refused = try await cluster.runToExit(
            "signer", environment: ["SWITCHBOARD_ENV": "production", "SWITCHBOARD_SIGNER_AES_KEY": key], timeout: .seconds(10))
        #expect(refused.status != 0, "\(name): the signer started")
        #expect(refused.output.contains("SWITCHBOARD_SIGNER_AES_KEY") && refused.output.contains(reason), "\(name): \(refused.output)")
        // A key of its own passes the key check: the same start now fails on the next setting instead.
        let good = try await cluster.runToExit(
            "signer",
            environment: [
                "SWITCHBOARD_ENV": "production", "SWITCHBOARD_SIGNER_AES_KEY": "k3Y-0f-1ts-0wn-xQ9", "SWITCHBOARD_SIGNER_UPSTREAM": "http://nope",
            ],
            timeout: .seconds(10))
        #expect(good.status != 0)
        #expect(good.output.contains("SWITCHBOARD_SIGNER_UPSTREAM") && !good.output.contains("SWITCHBOARD_SIGNER_AES_KEY"), "\(good.output)")
    }

    @Test func getCodeIsRateLimitedPerClientAddressInTheBridgesShape() async throws {
        // One token per 10 s after a burst of 3: the fourth request inside that window is refused however slow the machine.
        let rig = try await SignerRig.start(signer: ["SWITCHBOARD_GETCODE_RATE_PER_SECOND": "0.1", "SWITCHBOARD_GETCODE_BURST": "3"])
        defer { rig.shutdown() }
        for index in 0..<3 {
            #expect(rig.verifies(try SignerRig.decodeSuccess(try await rig.getCode(str: "burst \(index)")).sign, for: "burst \(index)"))
        }
        let upstreamBefore = try await rig.simRequests()
        let refused = try await rig.getCode(str: "one too many")
        #expect(refused.status == 429, "\(refused.status) \(refused.text)")
        let body = try refused.json()
        #expect(body["code"] as? Int == 429 && body["data"] as? Bool == false, "\(refused.text)")
        #expect((body["msg"] as? String)?.isEmpty == false)
        let retryAfter = refused.headers["retry-after"].flatMap { Int($0) }
        #expect(retryAfter.map { (1...10).contains($0) } == true, "Retry-After: \(refused.headers["retry-after"] ?? "missing")")
        #expect(try await rig.simRequests() == upstreamBefore, "a refused request reached the upstream")

        // Another client address has a bucket of its own.
        let request = SignerRig.encrypt(SignerRig.requestJSON(str: "another caller"))
        let other = try PeerSocket(port: rig.cluster.httpPort, from: "127.0.0.2")
        other.send(
            "POST /getCode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: \(request.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(request)")
        let answer = other.readResponse(timeout: .seconds(10))
        #expect(answer?.status == 200, "\(answer.map { "\($0.status) \($0.body)" } ?? "no answer")")
    }

    @Test func theHealthProbeReportsTheCertificateNumberAndTheSimStopsCleanly() async throws {
        let rig = try await SignerRig.start(sim: [], signer: ["SWITCHBOARD_SIGNER_PROBE_SECONDS": "1"])
        defer { rig.shutdown() }
        let health = try await rig.cluster.waitForHealth(503, timeout: .seconds(5)) { answer in
            let services = (try? answer.json())?["services"] as? [String: [String: Any]]
            return (services?["signer"]?["details"] as? [String: String])?["cert_no"] == "SIM-0001"
        }
        let details = ((try health.json()["services"] as? [String: [String: Any]])?["signer"]?["details"] as? [String: String]) ?? [:]
        #expect(details["upstream_state"] == "connected")

        let status = await rig.cluster.terminate("signer-sim", timeout: .seconds(5))
        #expect(status == 0, "signer-sim did not exit 0 on SIGTERM:\n\(rig.cluster.log("signer-sim"))")
        try await rig.cluster.waitForHealth(503, timeout: .seconds(5)) { answer in
            let services = (try? answer.json())?["services"] as? [String: [String: Any]]
            return (services?["signer"]?["details"] as? [String: String])?["upstream_state"] == "down"
        }
    }
}
