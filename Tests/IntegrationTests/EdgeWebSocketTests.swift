import Foundation
import TestSupport
import Testing

/// The edge's WebSocket core with the real processes: admission, the handler registry, bad input, frame limits, hooks.
@Suite("Edge WebSocket core", .serialized, .timeLimit(.minutes(2)))
struct EdgeWebSocketTests {
    @Test func greetsAnswersPingAndKeepsTheConnectionThroughBadInput() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }

        let hello = try #require(await socket.next(type: "connection_established"))
        let data = try #require(hello["data"] as? [String: Any])
        #expect(data["user"] as? String == "anonymous")
        #expect(data["authenticated"] as? Bool == false)
        #expect(hello["timestamp"] is Int)

        socket.send(#"{"type":"ping","id":"ping_001"}"#)
        let pong = try #require(await socket.next(type: "pong"))
        #expect(pong["id"] as? String == "ping_001_pong")

        let badInputs: [(String, String)] = [
            ("{not json", "INVALID_MESSAGE"),
            ("[1,2,3]", "INVALID_MESSAGE"),
            (#"{"id":"x"}"#, "INVALID_MESSAGE"),
            (#"{"type":42,"id":"x"}"#, "INVALID_MESSAGE"),
            (#"{"type":"no_such_type","id":"q1"}"#, "UNKNOWN_TYPE"),
            (#"{"type":"data_batch","id":"q2"}"#, "UNKNOWN_TYPE"),
        ]
        for (input, code) in badInputs {
            socket.send(input)
            let error = try #require(await socket.next(type: "error"), "no error frame for \(input)")
            let errorData = try #require(error["data"] as? [String: Any])
            #expect(errorData["code"] as? String == code, "input \(input)")
            #expect((errorData["message"] as? String)?.isEmpty == false)
        }
        socket.send(#"{"type":"no_such_type","id":"q9"}"#)
        let echoed = try #require(await socket.next(type: "error"))
        #expect((echoed["data"] as? [String: Any])?["request_id"] as? String == "q9")

        socket.send(#"{"type":"ping","id":"still_alive"}"#)
        #expect(await socket.next(type: "pong")?["id"] as? String == "still_alive_pong")
    }

    @Test func authenticatedConnectionsCarryTheirUser() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let token = try await TestTokens.access("alice", roles: ["operator"])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: token)
        defer { Task { await socket.close() } }
        let hello = try #require(await socket.next(type: "connection_established"))
        let data = try #require(hello["data"] as? [String: Any])
        #expect(data["user"] as? String == "alice")
        #expect(data["roles"] as? [String] == ["operator"])

        let viaHeader = try await TestWebSocket.connect(port: cluster.httpPort, headers: ["Authorization": "Bearer \(token)"])
        defer { Task { await viaHeader.close() } }
        #expect((await viaHeader.next(type: "connection_established")?["data"] as? [String: Any])?["user"] as? String == "alice")
    }

    @Test func badTokensAreRefusedBeforeTheUpgrade() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let good = try await TestTokens.access("alice")
        var tampered = Array(good)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        let expired = try await TestTokens.access("alice", lifetime: .seconds(-10))

        for (path, expected) in [
            ("/ws?token=not-a-jwt", 401),
            ("/ws?token=\(String(tampered))", 401),
            ("/ws?token=\(expired)", 401),
            ("/ws/permissions/bob?token=\(good)", 403),
            ("/ws/permissions/bob", 401),
            ("/ws/permissions/alice?token=\(good)", 101),
            ("/ws/permissions/anonymous", 101),
            ("/ws", 101),
        ] {
            let connection = try RawHTTPConnection(port: cluster.httpPort)
            let answer = try connection.upgrade(path: path)
            #expect(answer.status == expected, "\(path): \(answer.head)")
        }
        let headerRefused = try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: ["Authorization": "Bearer nope"])
        #expect(headerRefused.status == 401)
        // A plain GET without the upgrade is told to upgrade.
        let plain = try await cluster.http("GET", "/ws")
        #expect(plain.status == 426)
    }

    @Test func permissionsEndpointConfirmsAndAnswersHeartbeats() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/anonymous")
        defer { Task { await socket.close() } }
        let confirmed = try #require(await socket.next(type: "connection_confirmed"))
        #expect((confirmed["data"] as? [String: Any])?["user"] as? String == "anonymous")
        socket.send(#"{"type":"heartbeat","id":"hb1"}"#)
        #expect(await socket.next(type: "heartbeat_ack")?["id"] as? String == "hb1_ack")
    }

    @Test func framesOverTheLimitCloseWith1009AndOthersAreUnaffected() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_WS_MAX_FRAME_BYTES": "65536"])
        defer { cluster.shutdown() }
        let bystander = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await bystander.close() } }
        _ = await bystander.next(type: "connection_established")

        let big = try await TestWebSocket.connect(port: cluster.httpPort)
        _ = await big.next(type: "connection_established")
        let payload = #"{"type":"ping","id":"big","data":{"pad":""# + String(repeating: "x", count: 70_000) + #""}}"#
        big.send(payload)
        #expect(await big.closeCode(timeout: .seconds(5)) == 1009)

        bystander.send(#"{"type":"ping","id":"ok"}"#)
        #expect(await bystander.next(type: "pong")?["id"] as? String == "ok_pong")
    }

    @Test func hookAdminListsAndSwitchesHooksForAdminsOnly() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let admin = try await TestTokens.access("root", roles: ["admin"])
        let viewer = try await TestTokens.access("vera", roles: ["viewer"])

        #expect(try await cluster.http("GET", "/admin/hooks").status == 401)
        #expect(try await cluster.http("GET", "/admin/hooks", headers: ["Authorization": "Bearer \(viewer)"]).status == 403)
        let listed = try await cluster.http("GET", "/admin/hooks", headers: ["Authorization": "Bearer \(admin)"])
        #expect(listed.status == 200)
        let hooks = try #require(try listed.json()["hooks"] as? [[String: Any]])
        #expect(hooks.map { $0["name"] as? String } == ["auth-policy", "rate-limit", "room-presence", "connection-log", "metrics"])
        #expect(hooks.map { $0["priority"] as? Int } == [100, 80, 60, 50, 10])

        let body = Data(#"{"name":"metrics","enabled":false}"#.utf8)
        let switched = try await cluster.http("POST", "/admin/hooks", body: body, headers: ["Authorization": "Bearer \(admin)"])
        #expect(switched.status == 200)
        let after = try #require(try switched.json()["hooks"] as? [[String: Any]])
        #expect(after.first { $0["name"] as? String == "metrics" }?["enabled"] as? Bool == false)
        let unknown = try await cluster.http(
            "POST", "/admin/hooks", body: Data(#"{"name":"nope","enabled":false}"#.utf8), headers: ["Authorization": "Bearer \(admin)"])
        #expect(unknown.status == 404)
        let malformed = try await cluster.http("POST", "/admin/hooks", body: Data("{".utf8), headers: ["Authorization": "Bearer \(admin)"])
        #expect(malformed.status == 400)
    }

    @Test func statusCountsConnections() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let first = try await TestWebSocket.connect(port: cluster.httpPort)
        let second = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/anonymous")
        _ = await first.next(type: "connection_established")
        _ = await second.next(type: "connection_confirmed")
        let status = try await cluster.http("GET", "/websocket/status").json()
        #expect(status["total_connections"] as? Int == 2)
        await first.close()
        await second.close()
        let end = ContinuousClock.now + .seconds(3)
        var total = -1
        while ContinuousClock.now < end {
            total = try await cluster.http("GET", "/websocket/status").json()["total_connections"] as? Int ?? -1
            if total == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(total == 0)
    }

    @Test func theEleventhConnectionFromOneIPIsRefusedUntilOneCloses() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "10"])
        defer { cluster.shutdown() }
        var open: [TestWebSocket] = []
        for _ in 0..<10 {
            let socket = try await TestWebSocket.connect(port: cluster.httpPort)
            #expect(await socket.next(type: "connection_established") != nil)
            open.append(socket)
        }
        let refused = try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws")
        #expect(refused.status == 429, "\(refused.head)")
        #expect(refused.head.lowercased().contains("retry-after"))
        for socket in open {
            socket.send(#"{"type":"ping","id":"p"}"#)
            #expect(await socket.next(type: "pong") != nil, "an admitted connection was disturbed")
        }
        await open.removeFirst().close()
        var admitted = false
        let end = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < end && !admitted {
            admitted = (try? RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws").status) == 101
            if !admitted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(admitted, "a slot did not free up after a close")
        for socket in open { await socket.close() }
    }

    @Test func blockedIPsAreRefusedBeforeTheUpgrade() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let admin = try await TestTokens.access("root", roles: ["admin"])
        let block = try await cluster.http(
            "POST", "/admin/blocked-ips", body: Data(#"{"ip":"127.0.0.1","reason":"test flood"}"#.utf8),
            headers: ["Authorization": "Bearer \(admin)", "Content-Type": "application/json"])
        #expect(block.status == 201, "\(block.status) \(block.text)")
        let refused = try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws")
        #expect(refused.status == 403, "\(refused.head)")
        let unblock = try await cluster.http("DELETE", "/admin/blocked-ips/127.0.0.1", headers: ["Authorization": "Bearer \(admin)"])
        #expect(unblock.status == 204)
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws").status == 101)
    }

    @Test func messageRateLimitTriggersRecoversAndStopsWhenItsHookIsDisabled() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_MESSAGE_RATE": "2", "SWITCHBOARD_MESSAGE_BURST": "3"])
        defer { cluster.shutdown() }
        let token = try await TestTokens.access("rita")
        let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: token)
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")

        func burst(_ count: Int) async -> (pongs: Int, limited: Int) {
            for index in 0..<count { socket.send(#"{"type":"ping","id":"p\#(index)"}"#) }
            var pongs = 0
            var limited = 0
            while pongs + limited < count, let frame = await socket.next(timeout: .seconds(3)) {
                let object = TestTokens.json(frame)
                if object["type"] as? String == "pong" { pongs += 1 }
                if (object["data"] as? [String: Any])?["code"] as? String == "RATE_LIMITED" { limited += 1 }
            }
            return (pongs, limited)
        }
        let first = await burst(8)
        #expect(first.pongs >= 3 && first.pongs <= 5, "burst 3 at 2/s: \(first)")
        #expect(first.limited >= 3, "\(first)")

        try await Task.sleep(for: .seconds(2))
        let recovered = await burst(2)
        #expect(recovered.pongs == 2, "the bucket did not refill: \(recovered)")

        let admin = try await TestTokens.access("root", roles: ["admin"])
        let off = try await cluster.http(
            "POST", "/admin/hooks", body: Data(#"{"name":"rate-limit","enabled":false}"#.utf8), headers: ["Authorization": "Bearer \(admin)"])
        #expect(off.status == 200)
        let unlimited = await burst(12)
        #expect(unlimited.pongs == 12 && unlimited.limited == 0, "the disabled hook still ran: \(unlimited)")
    }
}
