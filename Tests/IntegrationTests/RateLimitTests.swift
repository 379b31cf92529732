import Bus
import Foundation
import SwitchboardProtocol
import TestSupport
import Testing

/// The message rate limit and the per-IP connection limit decided on the edge without an RPC per frame or per upgrade,
/// kept global across edges by the batched syncs with auth, and still enforced while auth is down.
@Suite("Local limits, global by sync", .serialized, .timeLimit(.minutes(3)))
struct RateLimitTests {
    /// A second edge on its own port, so a test chooses which edge each connection reaches.
    static func startSecondEdge(_ cluster: Cluster) async throws -> Int {
        let port = try FreePort.allocate()
        try cluster.start("ws-edge", as: "edge-b", environment: ["SWITCHBOARD_HTTP_PORT": String(port)])
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            if let connection = try? RawHTTPConnection(port: port),
                (try? connection.write(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))) != nil,
                String(decoding: connection.readAll(timeout: .seconds(2)), as: UTF8.self).hasPrefix("HTTP/1.1 200")
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("the second edge did not answer /health on \(port):\n\(cluster.log("edge-b").suffix(2000))")
    }

    /// Sends `count` pings and counts the pongs and RATE_LIMITED errors (with the largest `retry_after_seconds` seen).
    static func pings(_ socket: TestWebSocket, _ count: Int, tag: String) async -> (pongs: Int, limited: Int, retryAfter: Int) {
        for index in 0..<count { socket.send(#"{"type":"ping","id":"\#(tag)\#(index)"}"#) }
        var pongs = 0
        var limited = 0
        var retryAfter = 0
        while pongs + limited < count, let frame = await socket.next(timeout: .seconds(3)) {
            let object = TestTokens.json(frame)
            if object["type"] as? String == "pong" { pongs += 1 }
            let data = object["data"] as? [String: Any]
            if data?["code"] as? String == "RATE_LIMITED" {
                limited += 1
                let details = data?["details"] as? [String: Any]
                let seconds = (details?["retry_after_seconds"] as? String).flatMap { Int($0) } ?? (details?["retry_after_seconds"] as? Int) ?? 0
                retryAfter = max(retryAfter, seconds)
            }
        }
        return (pongs, limited, retryAfter)
    }

    /// The `_count` of auth's RPC handler timer for `method`, read over the bus (`sys.metrics`); 0 when never called.
    static func authCalls(_ client: RPCClient, _ method: String) async throws -> Double {
        let text = try await client.call(SystemMetrics.self, NoParams(), timeout: .seconds(2)).text
        var total = 0.0
        for line in text.split(separator: "\n")
        where line.hasPrefix("switchboard_rpc_server_duration_seconds_count") && line.contains(#"method="\#(method)""#) {
            total += line.split(separator: " ").last.flatMap { Double($0) } ?? 0
        }
        return total
    }

    static func authClient(_ cluster: Cluster) async throws -> RPCClient {
        let client = try RPCClient(service: "auth", endpoint: "ipc://\(cluster.runDirectory)/auth.sock")
        let end = ContinuousClock.now + .seconds(10)
        while (try? await client.call(SystemHealth.self, NoParams(), timeout: .seconds(1))) == nil {
            guard ContinuousClock.now < end else {
                client.shutdown()
                throw HarnessError("auth does not answer over the bus")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return client
    }

    /// One token per 100 s, so the refill during the test is far below one message: every count follows from the burst.
    static let slowBucket = ["SWITCHBOARD_MESSAGE_RATE": "0.01", "SWITCHBOARD_MESSAGE_BURST": "10"]

    @Test func aUserSpreadOverTwoEdgesSharesOneBudget() async throws {
        let cluster = try await Cluster.start(environment: Self.slowBucket)
        defer { cluster.shutdown() }
        let portB = try await Self.startSecondEdge(cluster)
        let token = try await TestTokens.access("gina")
        let onA = try await TestWebSocket.connect(port: cluster.httpPort, token: token)
        let onB = try await TestWebSocket.connect(port: portB, token: token)
        #expect(await onA.next(type: "connection_established") != nil)
        #expect(await onB.next(type: "connection_established") != nil)

        // One message on each edge, then time for both to sync: each now holds the global balance (8).
        #expect(await Self.pings(onA, 1, tag: "a").pongs == 1)
        #expect(await Self.pings(onB, 1, tag: "b").pongs == 1)
        try await Task.sleep(for: .seconds(1.5))

        let first = await Self.pings(onA, 12, tag: "a")
        #expect(first.pongs == 8, "edge A let through \(first.pongs) of 12 with 8 left globally")
        #expect(first.limited == 4)
        try await Task.sleep(for: .seconds(1.5))
        // Edge A's use reached auth and edge B's allowance: nothing is left for gina on B either.
        let second = await Self.pings(onB, 5, tag: "b")
        #expect(second.pongs == 0, "edge B let through \(second.pongs) after A spent the whole budget")
        #expect(second.limited == 5)
        #expect(second.retryAfter >= 50, "one token takes 100 s: retry after \(second.retryAfter)")
        // Another user is not affected.
        let other = try await TestWebSocket.connect(port: portB, token: try await TestTokens.access("hugo"))
        _ = await other.next(type: "connection_established")
        #expect(await Self.pings(other, 3, tag: "h").pongs == 3)
        for socket in [onA, onB, other] { await socket.close() }
    }

    @Test func withAuthKilledTheLocalBucketStillLimitsAtTheConfiguredRate() async throws {
        let cluster = try await Cluster.start(environment: Self.slowBucket)
        defer { cluster.shutdown() }
        cluster.kill9("auth")
        // Past the time a sync answer governs a subject (1 s), so only the local bucket decides.
        try await Task.sleep(for: .seconds(1.5))
        let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: try await TestTokens.access("ines"))
        #expect(await socket.next(type: "connection_established") != nil)
        let burst = await Self.pings(socket, 15, tag: "i")
        #expect(burst.pongs == 10, "the local bucket let through \(burst.pongs) of 15 (burst 10) with auth down")
        #expect(burst.limited == 5)
        #expect(burst.retryAfter >= 50, "retry after \(burst.retryAfter)")
        await socket.close()
    }

    @Test func framesAndUpgradesCostNoRPCToAuth() async throws {
        let cluster = try await Cluster.start(environment: [
            "SWITCHBOARD_MESSAGE_RATE": "100000", "SWITCHBOARD_MESSAGE_BURST": "100000", "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "100",
        ])
        defer { cluster.shutdown() }
        let auth = try await Self.authClient(cluster)
        defer { auth.shutdown() }
        let token = try await TestTokens.access("jon")
        var sockets: [TestWebSocket] = []
        for _ in 0..<5 {
            let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: token)
            #expect(await socket.next(type: "connection_established") != nil)
            sockets.append(socket)
        }
        let syncsBefore = try await Self.authCalls(auth, RateSync.name)
        let started = ContinuousClock.now
        var pongs = 0
        for (index, socket) in sockets.enumerated() { pongs += await Self.pings(socket, 200, tag: "j\(index)").pongs }
        #expect(pongs == 1000)
        let elapsed = started.duration(to: .now).seconds
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.authCalls(auth, RateCheck.name) == 0, "a frame asked auth for a token")
        #expect(try await Self.authCalls(auth, PolicyAdmit.name) == 0, "an upgrade asked auth for admission")
        #expect(try await Self.authCalls(auth, PolicyRelease.name) == 0)
        // At most one sync per 250 ms while frames flow (plus the one in flight at each end), not one per frame.
        let syncs = try await Self.authCalls(auth, RateSync.name) - syncsBefore
        #expect(syncs >= 1 && syncs <= (elapsed + 1) * 4 + 2, "\(syncs) rate syncs for 1,000 frames in \(elapsed) s")
        #expect(try await Self.authCalls(auth, PolicyCountsExchange.name) >= 1, "the edge exchanges its counts")
        for socket in sockets { await socket.close() }
    }

    @Test func thePerIPLimitCountsTheOtherEdgesConnections() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "4"])
        defer { cluster.shutdown() }
        let portB = try await Self.startSecondEdge(cluster)
        var onA: [TestWebSocket] = []
        for _ in 0..<3 {
            let socket = try await TestWebSocket.connect(port: cluster.httpPort)
            #expect(await socket.next(type: "connection_established") != nil)
            onA.append(socket)
        }
        // After one exchange period (1 s) edge B knows edge A's three: one more fits, the fifth does not.
        try await Task.sleep(for: .seconds(2))
        let fourth = try await TestWebSocket.connect(port: portB)
        #expect(await fourth.next(type: "connection_established") != nil)
        let fifth = try RawHTTPConnection(port: portB).upgrade(path: "/ws")
        #expect(fifth.status == 429, "\(fifth.head)")
        #expect(fifth.head.lowercased().contains("retry-after"))
        try await Task.sleep(for: .seconds(2))
        let onAFull = try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws")
        #expect(onAFull.status == 429, "edge A sees edge B's connection too: \(onAFull.head)")

        await onA.removeFirst().close()
        var admitted = false
        let end = ContinuousClock.now + .seconds(8)
        while ContinuousClock.now < end && !admitted {
            admitted = (try? RawHTTPConnection(port: portB).upgrade(path: "/ws").status) == 101
            if !admitted { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(admitted, "edge B did not learn that a connection on edge A closed")
        for socket in onA + [fourth] { await socket.close() }
    }

    @Test func theAnonymousRoleGivesTokenlessWebSocketsOneRoleAndRefusesAdmin() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_ANONYMOUS_ROLE": "viewer"])
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        let hello = try #require(await socket.next(type: "connection_established"))
        let data = hello["data"] as? [String: Any]
        #expect(data?["user"] as? String == "anonymous")
        #expect(data?["roles"] as? [String] == ["viewer"])
        await socket.close()
        // HTTP is not covered: the admin API still needs a token.
        #expect(try await cluster.http("GET", "/admin/hooks").status == 401)

        for bad in ["admin", "superuser"] {
            let run = try await cluster.runToExit(
                "ws-edge", environment: ["SWITCHBOARD_ANONYMOUS_ROLE": bad, "SWITCHBOARD_HTTP_PORT": String(try FreePort.allocate())])
            #expect(run.status != 0, "ws-edge started with SWITCHBOARD_ANONYMOUS_ROLE=\(bad)")
            #expect(run.output.contains("SWITCHBOARD_ANONYMOUS_ROLE"), "\(run.output.suffix(500))")
        }
    }
}
