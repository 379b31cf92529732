import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// DESIGN.md §9 through the real processes: who the client is (trusted proxies), the blocklist on every route and
/// while auth is down, room ACLs per post, private suggestions, and operational detail only for admins and loopback.
///
/// Every test client is on loopback, so "a remote caller" is made by trusting 127.0.0.1 as a proxy and sending an
/// `X-Forwarded-For` address: the edge then judges the request by that address, as it would behind a real balancer.
@Suite("Trust boundaries", .serialized, .timeLimit(.minutes(3)))
struct TrustBoundaryTests {
    static let behindProxy = ["SWITCHBOARD_TRUSTED_PROXIES": "127.0.0.1/32"]

    static func admin() async throws -> [String: String] {
        ["Authorization": "Bearer \(try await TestTokens.access("root", roles: ["admin"]))", "Content-Type": "application/json"]
    }

    static func block(_ cluster: Cluster, _ ip: String, headers: [String: String] = [:]) async throws {
        let answer = try await cluster.http(
            "POST", "/admin/blocked-ips", body: Data(#"{"ip":"\#(ip)","reason":"test"}"#.utf8),
            headers: try await admin().merging(headers) { $1 })
        #expect(answer.status == 201, "\(answer.status) \(answer.text)")
    }

    static func login(_ cluster: Cluster, headers: [String: String] = [:]) async throws -> Int {
        try await cluster.http(
            "POST", "/api/auth/login", body: Data(#"{"username":"nobody","password":"wrong password"}"#.utf8),
            headers: ["Content-Type": "application/json"].merging(headers) { $1 }
        ).status
    }

    @Test func aSpoofedForwardedForFromAnUntrustedPeerIsIgnoredAndABlockHoldsOnEveryRoute() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.block(cluster, "127.0.0.1")
        let spoof = ["X-Forwarded-For": "1.2.3.4"]
        for path in ["/health", "/docs", "/api/menu/version", "/"] {
            let answer = try await cluster.http("GET", path, headers: spoof)
            #expect(answer.status == 403, "\(path) → \(answer.status)")
            #expect(try answer.json()["code"] as? String == "ip_blocked", "\(path)")
        }
        #expect(try await Self.login(cluster, headers: spoof) == 403)
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: spoof).status == 403)
        // The operator can still lift the block with an admin token.
        let unblock = try await cluster.http("DELETE", "/admin/blocked-ips/127.0.0.1", headers: try await Self.admin())
        #expect(unblock.status == 204, "\(unblock.text)")
        #expect(try await cluster.http("GET", "/health").status == 200)
        #expect(try await Self.login(cluster) == 401)
    }

    @Test func behindATrustedProxyTheRightMostUntrustedAddressDecides() async throws {
        let cluster = try await Cluster.start(environment: Self.behindProxy)
        defer { cluster.shutdown() }
        try await Self.block(cluster, "203.0.113.9")
        try await Self.block(cluster, "2001:db8:1:2::5")
        func status(_ forwarded: String?) async throws -> Int {
            try await cluster.http("GET", "/api/menu/version", headers: forwarded.map { ["X-Forwarded-For": $0] } ?? [:]).status
        }
        #expect(try await status("203.0.113.9") == 403)
        #expect(try await status("198.51.100.1, 203.0.113.9") == 403, "the right-most entry is the proxy's witness")
        #expect(try await status("203.0.113.9, 127.0.0.1") == 403, "trusted hops are skipped")
        #expect(try await status("203.0.113.9, 198.51.100.1") == 200, "what the client wrote left of its own address is ignored")
        #expect(try await status("2001:db8:1:2:ffff::77") == 403, "an IPv6 block covers its /64")
        #expect(try await status("2001:db8:1:3::5") == 200)
        #expect(try await status("garbage, 203.0.113.9") == 403)
        #expect(try await status(nil) == 200, "the proxy itself is not blocked")
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: ["X-Forwarded-For": "203.0.113.9"]).status == 403)
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: ["X-Forwarded-For": "203.0.113.10"]).status == 101)
    }

    @Test func aBlockMadeThroughOneEdgeIsPushedToTheOthersWithoutWaitingForTheirSync() async throws {
        // A sync every 10 minutes: only the pushed notice can bring the change to the second edge within the wait.
        let cluster = try await Cluster.start(environment: Self.behindProxy.merging(["SWITCHBOARD_EDGE_SYNC_SECONDS": "600"]) { $1 })
        defer { cluster.shutdown() }
        let secondPort = try await RoomKit.startSecondEdge(cluster)
        func secondEdgeStatus() async -> Int? {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(secondPort)/api/menu/version")!)
            request.setValue("203.0.113.60", forHTTPHeaderField: "X-Forwarded-For")
            request.timeoutInterval = 2
            return ((try? await URLSession.shared.data(for: request))?.1 as? HTTPURLResponse)?.statusCode
        }
        #expect(await secondEdgeStatus() == 200)
        try await Self.block(cluster, "203.0.113.60")
        #expect(await RoomKit.eventually(timeout: .seconds(5)) { await secondEdgeStatus() == 403 }, "the notice did not reach the second edge")
        let unblock = try await cluster.http("DELETE", "/admin/blocked-ips/203.0.113.60", headers: try await Self.admin())
        #expect(unblock.status == 204)
        #expect(await RoomKit.eventually(timeout: .seconds(5)) { await secondEdgeStatus() == 200 })
    }

    @Test func aRestartedEdgeLoadsTheBlocklistBeforeServing() async throws {
        let cluster = try await Cluster.start(environment: Self.behindProxy)
        defer { cluster.shutdown() }
        try await Self.block(cluster, "203.0.113.70")
        _ = await cluster.terminate("ws-edge")
        try cluster.start("ws-edge")
        let first = try await cluster.waitForHealth(200, timeout: .seconds(20))
        #expect(first.status == 200)
        let answer = try await cluster.http("GET", "/health", headers: ["X-Forwarded-For": "203.0.113.70"])
        #expect(answer.status == 403, "the first requests after a start already see the blocklist: \(answer.text)")
    }

    @Test func withAuthKilledABlockedIPStaysBlockedAndThePerIPLimitHoldsFromTheLocalCount() async throws {
        let cluster = try await Cluster.start(environment: Self.behindProxy.merging(["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "3"]) { $1 })
        defer { cluster.shutdown() }
        try await Self.block(cluster, "203.0.113.50")
        cluster.kill9("auth")
        let blocked = ["X-Forwarded-For": "203.0.113.50"]
        #expect(try await cluster.http("GET", "/health", headers: blocked).status == 403)
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: blocked).status == 403)

        let crowd = ["X-Forwarded-For": "198.51.100.7"]
        var open: [RawHTTPConnection] = []
        for index in 0..<3 {
            let connection = try RawHTTPConnection(port: cluster.httpPort)
            #expect(try connection.upgrade(path: "/ws", headers: crowd).status == 101, "connection \(index + 1) of 3")
            open.append(connection)
        }
        let fourth = try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: crowd)
        #expect(fourth.status == 429, "\(fourth.head)")
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws", headers: ["X-Forwarded-For": "198.51.100.8"]).status == 101)
        #expect(cluster.log("ws-edge").contains("per-IP limit from this edge's count"), "the fallback is logged, not silent")
        withExtendedLifetime(open) {}
    }

    @Test func removingAUserFromARoomACLEndsTheirMembershipAndTheirPosts() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let admin = try await Self.admin()
        func setACL(_ members: String) async throws {
            let put = try await cluster.http(
                "PUT", "/api/auth/rooms/ops/acl", body: Data(#"{"private":true,"members":[\#(members)]}"#.utf8), headers: admin)
            #expect(put.status == 200, "\(put.text)")
        }
        try await setACL(#""alice","bob""#)
        let alice = try await RoomKit.socket(cluster.httpPort, "alice")
        let bob = try await RoomKit.socket(cluster.httpPort, "bob")
        defer { Task { for socket in [alice, bob] { await socket.close() } } }
        #expect((await RoomKit.join(alice, "ops"))["type"] as? String == "room_joined")
        #expect((await RoomKit.join(bob, "ops"))["type"] as? String == "room_joined")
        try RoomKit.chat(alice, "ops", "hello", id: "c1")
        #expect(RoomKit.contents(await RoomKit.chats(bob, count: 1)) == ["hello"])

        try await setACL(#""bob""#)
        let removed = await RoomKit.reply(alice, "room_left")
        #expect(removed["room"] as? String == "ops", "\(removed)")
        #expect(removed["removed"] as? Bool == true)
        #expect((removed["reason"] as? String)?.contains("access list") == true)
        #expect(RoomKit.data(await bob.next(type: "member_left"))["user"] as? String == "alice")

        try RoomKit.chat(alice, "ops", "still here?", id: "c2")
        let refused = await RoomKit.reply(alice, "chat_message")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "FORBIDDEN")
        #expect((await RoomKit.join(alice, "ops", id: "j2"))["code"] as? String == "FORBIDDEN")
        #expect(await bob.next(type: "chat_message", timeout: .milliseconds(500)) == nil, "nothing of alice's reached the room")
    }

    @Test func suggestionsAreTheCallersOwnQuestionsAndTheCuratedListAndNeedASignedInUser() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let anonymous = try await TestWebSocket.connect(port: cluster.httpPort)
        let ann = try await RoomKit.socket(cluster.httpPort, "ann")
        let ben = try await RoomKit.socket(cluster.httpPort, "ben")
        defer { Task { for socket in [anonymous, ann, ben] { await socket.close() } } }
        anonymous.send(#"{"type":"get_suggestions","id":"a1","data":{"prefix":"how"}}"#)
        let refused = await RoomKit.reply(anonymous, "suggestions")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "FORBIDDEN")

        for (socket, question) in [(ann, "How do I see ann's secret plan?"), (ben, "How do I bake bread?"), (ben, "How do I bake bread?")] {
            try socket.send(json: ["type": "ask_question", "id": "q", "data": ["question": question]])
            #expect((await RoomKit.reply(socket, "question_accepted"))["task_id"] != nil)
        }
        func suggestions(_ socket: TestWebSocket) async -> [[String: Any]] {
            socket.send(#"{"type":"get_suggestions","id":"s","data":{"prefix":"HOW do"}}"#)
            return (await RoomKit.reply(socket, "suggestions"))["suggestions"] as? [[String: Any]] ?? []
        }
        let bens = await suggestions(ben)
        #expect(bens.compactMap { $0["text"] as? String } == ["how do i bake bread?"], "\(bens)")
        #expect(bens.first?["count"] as? Int == 2)

        let curated = Data(#"{"suggestions":["How do I read the alarms?","Where is the manual?"]}"#.utf8)
        #expect(try await cluster.http("PUT", "/api/questions/suggestions", body: curated).status == 401)
        let viewer = ["Authorization": "Bearer \(try await TestTokens.access("ben"))", "Content-Type": "application/json"]
        #expect(try await cluster.http("PUT", "/api/questions/suggestions", body: curated, headers: viewer).status == 403)
        let operatorHeaders = [
            "Authorization": "Bearer \(try await TestTokens.access("op", roles: ["operator"]))", "Content-Type": "application/json",
        ]
        let put = try await cluster.http("PUT", "/api/questions/suggestions", body: curated, headers: operatorHeaders)
        #expect(put.status == 200, "\(put.text)")
        let listed = try await cluster.http("GET", "/api/questions/suggestions", headers: viewer)
        #expect(try listed.json()["suggestions"] as? [String] == ["How do I read the alarms?", "Where is the manual?"])

        let withPublic = await suggestions(ben)
        #expect(withPublic.compactMap { $0["text"] as? String } == ["how do i bake bread?", "How do I read the alarms?"])
        #expect(withPublic.last?["source"] as? String == "public")
        let annTexts = await suggestions(ann).compactMap { $0["text"] as? String }
        #expect(annTexts == ["how do i see ann's secret plan?", "How do I read the alarms?"], "ann never sees ben's questions")
    }

    @Test func operationalDetailIsForAdminsAndLoopbackCallersOnly() async throws {
        let cluster = try await Cluster.start(environment: Self.behindProxy)
        defer { cluster.shutdown() }
        let remote = ["X-Forwarded-For": "203.0.113.80"]
        let outside = try await cluster.http("GET", "/health", headers: remote)
        #expect(outside.status == 200)
        #expect(Set(try outside.json().keys) == ["status", "failing"], "\(outside.text)")
        #expect(!outside.text.contains("pid"))
        let local = try await cluster.http("GET", "/health")
        #expect(try local.json()["edge"] != nil, "loopback callers get the details")
        let admin = try await cluster.http("GET", "/health", headers: remote.merging(try await Self.admin()) { $1 })
        #expect(admin.text.contains("\"pid\""), "an admin token gets the details from anywhere")
        let viewer = ["Authorization": "Bearer \(try await TestTokens.access("vic"))"]
        #expect(!(try await cluster.http("GET", "/health", headers: remote.merging(viewer) { $1 })).text.contains("pid"))

        #expect(try await cluster.http("GET", "/metrics", headers: remote).status == 403)
        #expect(try await cluster.http("GET", "/metrics").status == 200)
        let status = try await cluster.http("GET", "/websocket/status", headers: remote)
        #expect(try status.json().keys.sorted() == ["status"], "\(status.text)")
        #expect(try await cluster.http("GET", "/websocket/status").text.contains("total_connections"))

        cluster.kill9("signer")
        let degraded = try await cluster.waitForHealth(503, timeout: .seconds(10)) { _ in true }
        #expect(degraded.status == 503)
        let failing = try await cluster.http("GET", "/health", headers: remote)
        #expect(failing.status == 503)
        #expect(try failing.json()["failing"] as? [String] == ["signer"], "\(failing.text)")
        #expect(!failing.text.contains("error"), "no error text for outsiders")
    }

    @Test func anonymousCapabilitiesAreOneSettingEachOnWebSocketAndHTTPAlike() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_ANONYMOUS_TELEMETRY": "0", "SWITCHBOARD_ANONYMOUS_ROOMS": "off"])
        defer { cluster.shutdown() }
        let anonymous = try await TestWebSocket.connect(port: cluster.httpPort)
        let signedIn = try await RoomKit.socket(cluster.httpPort, "sam")
        defer { Task { for socket in [anonymous, signedIn] { await socket.close() } } }
        _ = await anonymous.next(type: "connection_established")
        let subscribe = #"{"type":"subscribe","id":"s1","data":{"channels":[1001],"data_types":["T"],"interval":1000}}"#
        anonymous.send(subscribe)
        let refused = await RoomKit.reply(anonymous, "subscribe_ack")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "UNAUTHORIZED")
        #expect((refused["message"] as? String)?.contains("SWITCHBOARD_ANONYMOUS_TELEMETRY") == true)
        signedIn.send(subscribe)
        #expect((await RoomKit.reply(signedIn, "subscribe_ack"))["type"] as? String == "subscribe_ack")

        let anonymousData = try await cluster.http("GET", "/api/data/1001/T")
        #expect(anonymousData.status == 401, "\(anonymousData.text)")
        let token = ["Authorization": "Bearer \(try await TestTokens.access("sam"))"]
        #expect(try await cluster.http("GET", "/api/data/1001/T", headers: token).status != 401)

        // Alarms stay on (their own setting, default on).
        anonymous.send(#"{"type":"subscribe_alarms","id":"a1","data":{}}"#)
        #expect((await RoomKit.reply(anonymous, "subscribe_alarms_ack"))["type"] as? String == "subscribe_alarms_ack")
        #expect(try await cluster.http("GET", "/api/alarms").status == 200)

        let room = await RoomKit.join(anonymous, "lobby")
        #expect(room["code"] as? String == "FORBIDDEN", "\(room)")
        #expect((await RoomKit.join(signedIn, "lobby"))["type"] as? String == "room_joined")
    }

    @Test func aTokenlessBroadcastIsAcceptedOnlyFromTheConfiguredNetworks() async throws {
        let cluster = try await Cluster.start(
            environment: Self.behindProxy.merging(["SWITCHBOARD_BROADCAST_NETWORKS": "203.0.113.0/24"]) { $1 })
        defer { cluster.shutdown() }
        let body = Data(#"{"type":"notice","data":{"text":"from alarmsrv"}}"#.utf8)
        func post(from address: String?) async throws -> Int {
            var headers = ["Content-Type": "application/json"]
            if let address { headers["X-Forwarded-For"] = address }
            return try await cluster.http("POST", "/api/v1/broadcast", body: body, headers: headers).status
        }
        #expect(try await post(from: "203.0.113.5") == 200)
        #expect(try await post(from: "198.51.100.1") == 401)
        #expect(try await post(from: nil) == 401, "loopback is not in the list")
        #expect(try await post(from: "198.51.100.1, 203.0.113.5") == 200)
        #expect(try await post(from: "203.0.113.5, 198.51.100.1") == 401, "a spoofed left-hand entry does not count")
        let viewer = ["Authorization": "Bearer \(try await TestTokens.access("vic"))", "X-Forwarded-For": "203.0.113.5"]
        #expect(try await cluster.http("POST", "/api/v1/broadcast", body: body, headers: viewer).status == 403, "a token's roles still decide")
    }

    @Test func aMenuChangeTellsEveryoneTheVersionAndOnlyAdminsTheDetails() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let anonymous = try await TestWebSocket.connect(port: cluster.httpPort)
        let viewer = try await RoomKit.socket(cluster.httpPort, "vera")
        let admin = try await RoomKit.socket(cluster.httpPort, "root", roles: ["admin"])
        defer { Task { for socket in [anonymous, viewer, admin] { await socket.close() } } }
        _ = await anonymous.next(type: "connection_established")
        // The edges' subscriptions reach the scheduler asynchronously: write until the admin sees a change.
        var version = 0
        var detail: [String: Any]?
        for attempt in 0..<20 where detail == nil {
            let put = try await cluster.http(
                "PUT", "/api/menu/secret-\(attempt)", body: Data(#"{"name":"Secret plan","url":"/s","reason":"quiet"}"#.utf8),
                headers: try await Self.admin())
            #expect(put.status == 201, "\(put.text)")
            version = try put.json()["version"] as? Int ?? -1
            detail = await admin.next(type: "menu_change", timeout: .milliseconds(500))
        }
        let change = try #require(RoomKit.data(detail)["change"] as? [String: Any], "no menu_change reached the admin")
        #expect(change["targetName"] as? String == "Secret plan")
        #expect(change["reason"] as? String == "quiet")
        for socket in [anonymous, viewer] {
            var seen: [String: Any] = [:]
            while let frame = await socket.next(type: "menu_update", timeout: .seconds(2)) {
                seen = RoomKit.data(frame)
                if seen["version"] as? Int == version { break }
            }
            #expect(seen["version"] as? Int == version)
            #expect(Set(seen.keys) == ["version", "checksum"], "\(seen)")
        }
        #expect(anonymous.drain().allSatisfy { !$0.contains("menu_change") && !$0.contains("Secret plan") })
        #expect(viewer.drain().allSatisfy { !$0.contains("menu_change") && !$0.contains("Secret plan") })
    }
}
