import Foundation
import TestSupport
import Testing

/// The menu service with the real processes, Redis and WebSocket clients: versions, checksums, the change log, ETags,
/// permissions, live `menu_update`/`permission_update` on every edge, and what a `kill -9` of the service does.
@Suite("Menu service", .serialized, .timeLimit(.minutes(3)))
struct MenuTests {
    /// MD5 of `[]`, the checksum of an empty store.
    static let emptyChecksum = "d751713988987e9331980363e24189ce"
    static let changeFields: Set<String> = ["type", "target", "targetId", "targetName", "timestamp", "author", "reason"]

    @Test func anEmptyStoreAnswersVersionZeroAndTheChecksumOfTheEmptyList() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)

        let info = try await api.version()
        #expect(info.version == 0)
        #expect(info.checksum == Self.emptyChecksum)
        #expect(info.checksum == MenuAPI.md5("[]"))
        #expect(info.changes.isEmpty)
        #expect(info.etag == "\"\(Self.emptyChecksum)\"")
        #expect(Set(info.raw.keys) == ["version", "timestamp", "checksum", "changes", "author", "description"])
        #expect(try await api.tree(as: nil).isEmpty)
    }

    @Test func versionChecksumAndChangesMoveExactlyWhenMenusChange() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)

        let created = try await api.put("home", ["name": "Home", "url": "/", "sort_order": 1, "reason": "first menu"], as: api.admin)
        #expect(created.status == 201, "\(created.text)")
        #expect((try created.json()["change"] as? [String: Any])?["type"] as? String == "created")
        let v1 = try await api.version()
        #expect(v1.version == 1)
        #expect(v1.checksum != Self.emptyChecksum)
        #expect(v1.author == "root")
        #expect(v1.timestamp > 1_700_000_000)
        #expect(v1.changes.count == 1)
        let entry = try #require(v1.changes.first)
        #expect(Set(entry.keys) == Self.changeFields)
        #expect(entry["type"] as? String == "created")
        #expect(entry["target"] as? String == "menu")
        #expect(entry["targetId"] as? String == "home")
        #expect(entry["targetName"] as? String == "Home")
        #expect(entry["author"] as? String == "root")
        #expect(entry["reason"] as? String == "first menu")
        #expect(entry["timestamp"] as? Int == v1.timestamp)

        // Reads and equal content change nothing.
        _ = try await api.tree(as: api.admin)
        #expect(try await api.version().identity == v1.identity)
        let same = try await api.put("home", ["name": "Home", "url": "/", "sort_order": 1], as: api.admin)
        #expect(same.status == 200)
        #expect(try same.json()["change"] is NSNull)
        #expect(try await api.version().identity == v1.identity)

        // An update moves version, checksum and log together.
        #expect(try await api.put("home", ["name": "Start", "url": "/", "sort_order": 1], as: api.admin).status == 200)
        let v2 = try await api.version()
        #expect(v2.version == 2)
        #expect(v2.checksum != v1.checksum)
        #expect(v2.changes.map { $0["type"] as? String } == ["updated", "created"])
        #expect(v2.changes.first?["targetName"] as? String == "Start")

        // A change to an inactive menu moves the version but not the checksum (it covers active menus only).
        #expect(try await api.put("hidden", ["name": "Hidden", "is_active": false], as: api.admin).status == 201)
        let v3 = try await api.version()
        #expect(v3.version == 3)
        #expect(v3.checksum == v2.checksum)

        // Delete: 404 for unknown keys (nothing changes), then a real delete with its reason in the log.
        #expect(try await api.delete("nope", as: api.admin).status == 404)
        #expect(try await api.version().identity == v3.identity)
        let deleted = try await api.delete("hidden", as: api.admin, query: "?reason=cleanup")
        #expect(deleted.status == 200, "\(deleted.text)")
        let v4 = try await api.version()
        #expect(v4.version == 4)
        #expect(v4.changes.first?["type"] as? String == "deleted")
        #expect(v4.changes.first?["targetName"] as? String == "Hidden")
        #expect(v4.changes.first?["reason"] as? String == "cleanup")

        // `changes` holds the newest 10.
        for index in 0..<12 {
            #expect(try await api.put("m\(index)", ["name": "Menu \(index)"], as: api.admin).status == 201)
        }
        let v16 = try await api.version()
        #expect(v16.version == 16)
        #expect(v16.changes.count == 10)
        #expect(v16.changes.first?["targetId"] as? String == "m11")
        #expect(v16.changes.allSatisfy { Set($0.keys) == Self.changeFields })
    }

    @Test func refusedWritesChangeNothing() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        #expect(try await api.put("parent", ["name": "Parent"], as: api.admin).status == 201)
        #expect(try await api.put("child", ["name": "Child", "parent": "parent"], as: api.admin).status == 201)
        let before = try await api.version()

        #expect(try await api.put("x", ["name": "X"], as: nil).status == 401)
        #expect(try await api.put("x", ["name": "X"], as: api.viewer).status == 403)
        #expect(try await api.delete("child", as: nil).status == 401)
        #expect(try await api.delete("child", as: api.viewer).status == 403)

        let malformed: [(String, String)] = [
            ("x", "{not json"),
            ("x", "[]"),
            ("x", "{}"),
            ("x", #"{"name": 42}"#),
            ("x", #"{"name": ""}"#),
            ("x", #"{"name": "   "}"#),
            ("x", #"{"name": "\#(String(repeating: "n", count: 101))"}"#),
            ("x", #"{"name": "X", "url": "\#(String(repeating: "u", count: 501))"}"#),
            ("x", #"{"name": "X", "sort_order": "1"}"#),
            ("x", #"{"name": "X", "sort_order": 1.5}"#),
            ("x", #"{"name": "X", "is_active": "yes"}"#),
            ("x", #"{"name": "X", "parent": "missing"}"#),
            ("x", #"{"name": "X", "required_permission": "has space"}"#),
            ("x", #"{"name": "X", "key": "other"}"#),
            ("x", #"{"name": null}"#),
            ("bad key!", #"{"name": "X"}"#),
            ("version", #"{"name": "X"}"#),
            ("log", #"{"name": "X"}"#),
            ("parent", #"{"name": "P", "parent": "parent"}"#),
        ]
        for (key, body) in malformed {
            let encodedKey = key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? key
            let answer = try await api.putRaw(encodedKey, body, as: api.admin)
            #expect(answer.status == 400, "PUT \(key) \(body.prefix(60)) answered \(answer.status) \(answer.text)")
            #expect((try? answer.json()["code"] as? String)?.isEmpty == false)
        }
        // A cycle is a conflict with the stored tree.
        let cycle = try await api.put("parent", ["name": "Parent", "parent": "child"], as: api.admin)
        #expect(cycle.status == 409, "\(cycle.text)")
        #expect(try cycle.json()["code"] as? String == "parent_cycle")
        // A menu with children is not deleted.
        let withChildren = try await api.delete("parent", as: api.admin)
        #expect(withChildren.status == 409)
        #expect(try withChildren.json()["code"] as? String == "has_children")

        let after = try await api.version()
        #expect(after.identity == before.identity)
        #expect(after.version == 2)
    }

    @Test func theChecksumIsTheMD5OfTheDocumentedCanonicalForm() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        let putBodies: [(String, [String: Any])] = [
            ("b-reports", ["name": #"Reports "Q1"\path"#, "url": "/reports?a=1&b=2", "sort_order": -5, "required_permission": "reports.view"]),
            ("a.home", ["name": "首页\n\ttab\u{1}", "icon": "home", "url": "/", "sort_order": 0]),
            ("c_child", ["name": "Child", "parent": "a.home", "sort_order": 3, "url": ""]),
            ("z-off", ["name": "Off", "is_active": false]),
        ]
        for (key, body) in putBodies {
            let answer = try await api.put(key, body, as: api.admin)
            #expect(answer.status == 201, "\(key): \(answer.text)")
        }
        let canonical =
            #"[{"key":"a.home","name":"首页\n\ttab\u0001","icon":"home","url":"/","sort_order":0,"parent":null,"required_permission":null},"#
            + #"{"key":"b-reports","name":"Reports \"Q1\"\\path","icon":null,"url":"/reports?a=1&b=2","sort_order":-5,"parent":null,"#
            + #""required_permission":"reports.view"},"#
            + #"{"key":"c_child","name":"Child","icon":null,"url":null,"sort_order":3,"parent":"a.home","required_permission":null}]"#
        let info = try await api.version()
        #expect(info.checksum == MenuAPI.md5(canonical))
        #expect(info.etag == "\"\(MenuAPI.md5(canonical))\"")
    }

    @Test func etagAndIfNoneMatchAnswer304WithAnEmptyBody() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        #expect(try await api.put("home", ["name": "Home"], as: api.admin).status == 201)
        let info = try await api.version()
        let etag = try #require(info.etag)

        for header in [etag, "W/\(etag)", "\"other\", \(etag)", "*", info.checksum] {
            let answer = try await cluster.http("GET", "/api/menu/version", headers: ["If-None-Match": header])
            #expect(answer.status == 304, "If-None-Match: \(header)")
            #expect(answer.body.isEmpty)
            #expect(answer.headers["etag"] == etag)
        }
        let stale = try await cluster.http("GET", "/api/menu/version", headers: ["If-None-Match": "\"0123\""])
        #expect(stale.status == 200)
        #expect(try MenuAPI.VersionInfo(stale).version == info.version)

        #expect(try await api.put("home", ["name": "Home page"], as: api.admin).status == 200)
        let changed = try await cluster.http("GET", "/api/menu/version", headers: ["If-None-Match": etag])
        #expect(changed.status == 200)
        #expect(changed.headers["etag"] != etag)
    }

    @Test func menusAreFilteredByPermissionsAndNestedAsATree() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        let menus: [(String, [String: Any])] = [
            ("home", ["name": "Home", "sort_order": 2]),
            ("dash", ["name": "Dashboard", "sort_order": 1, "required_permission": "dashboard.view"]),
            ("dash.a", ["name": "A", "sort_order": 2, "parent": "dash"]),
            ("dash.c", ["name": "C", "sort_order": 1, "parent": "dash"]),
            ("dash.b", ["name": "B", "sort_order": 1, "parent": "dash"]),
            ("panel", ["name": "Admin panel", "sort_order": 5, "required_permission": "admin.panel"]),
            ("panel.settings", ["name": "Settings", "parent": "panel"]),
            ("old", ["name": "Old", "is_active": false]),
        ]
        for (key, body) in menus {
            #expect(try await api.put(key, body, as: api.admin).status == 201, "\(key)")
        }
        #expect(MenuAPI.paths(try await api.tree(as: nil)) == ["home"])
        #expect(MenuAPI.paths(try await api.tree(as: api.viewer)) == ["dash", "dash>dash.b", "dash>dash.c", "dash>dash.a", "home"])
        #expect(
            MenuAPI.paths(try await api.tree(as: api.admin))
                == ["dash", "dash>dash.b", "dash>dash.c", "dash>dash.a", "home", "panel", "panel>panel.settings"])
        let everything = MenuAPI.paths(try await api.tree(as: api.admin, query: "?all=true"))
        #expect(everything.contains("old"))
        #expect(try await cluster.http("GET", "/api/menu?all=true", headers: MenuAPI.bearer(api.viewer)).status == 403)

        let home = try #require(try await api.tree(as: nil).first)
        #expect(home["name"] as? String == "Home")
        #expect(home["icon"] is NSNull)
        #expect(home["required_permission"] is NSNull)
        #expect(home["is_active"] as? Bool == true)
        #expect(home["children"] as? [Any] != nil)
    }

    @Test func permissionsMeAndRoleChangesArePushed() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)

        let anonymous = try await cluster.http("GET", "/api/permissions/me").json()
        #expect(anonymous["user"] as? String == "anonymous")
        #expect(anonymous["roles"] as? [String] == ["anonymous"])
        #expect(anonymous["permissions"] as? [String] == [])
        let viewer = try await cluster.http("GET", "/api/permissions/me", headers: MenuAPI.bearer(api.viewer)).json()
        #expect(viewer["user"] as? String == "vera")
        #expect(viewer["roles"] as? [String] == ["viewer"])
        #expect(viewer["permissions"] as? [String] == ["dashboard.view", "menu.view"])
        let admin = try await cluster.http("GET", "/api/permissions/me", headers: MenuAPI.bearer(api.admin)).json()
        #expect(admin["permissions"] as? [String] == ["*"])

        #expect(try await api.put("reports", ["name": "Reports", "required_permission": "reports.view"], as: api.admin).status == 201)
        #expect(try await api.tree(as: api.viewer).isEmpty)

        let watcher = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/vera", token: api.viewer)
        defer { Task { await watcher.close() } }
        #expect(await watcher.next(type: "connection_confirmed") != nil)
        let passer = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/anonymous")
        defer { Task { await passer.close() } }
        #expect(await passer.next(type: "connection_confirmed") != nil)

        func putRole(_ role: String, _ body: String, as token: String?) async throws -> Cluster.HTTPAnswer {
            var headers = MenuAPI.bearer(token)
            headers["Content-Type"] = "application/json"
            return try await cluster.http("PUT", "/api/permissions/roles/\(role)", body: Data(body.utf8), headers: headers)
        }
        #expect(try await putRole("viewer", #"{"permissions":["menu.view"]}"#, as: nil).status == 401)
        #expect(try await putRole("viewer", #"{"permissions":["menu.view"]}"#, as: api.viewer).status == 403)
        #expect(try await putRole("viewer", #"{"permissions":"menu.view"}"#, as: api.admin).status == 400)
        #expect(try await putRole("viewer", #"{"permissions":["bad perm"]}"#, as: api.admin).status == 400)
        #expect(try await putRole("Bad Role", #"{"permissions":[]}"#, as: api.admin).status == 400)

        let body = #"{"permissions":["menu.view","dashboard.view","reports.*"],"reason":"reports for viewers"}"#
        let changed = try await putRole("viewer", body, as: api.admin)
        #expect(changed.status == 200, "\(changed.text)")
        #expect(try changed.json()["changed"] as? Bool == true)
        for socket in [watcher, passer] {
            let frame = try #require(await socket.next(type: "permission_update", timeout: .seconds(2)))
            let data = try #require(frame["data"] as? [String: Any])
            #expect(data["role"] as? String == "viewer")
            #expect(data["permissions"] as? [String] == ["dashboard.view", "menu.view", "reports.*"])
            #expect(data["author"] as? String == "root")
        }
        #expect(MenuAPI.paths(try await api.tree(as: api.viewer)) == ["reports"])
        let roles = try await cluster.http("GET", "/api/permissions/roles", headers: MenuAPI.bearer(api.admin)).json()
        #expect((roles["roles"] as? [String: [String]])?["operator"] == ["control.send", "dashboard.view", "menu.view"])

        // The same grants again change nothing and announce nothing.
        let again = try await putRole("viewer", body, as: api.admin)
        #expect(try again.json()["changed"] as? Bool == false)
        #expect(await watcher.next(type: "permission_update", timeout: .milliseconds(400)) == nil)
    }

    @Test func permissionCheckAnswersAllowedAndDenied() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)

        let vera = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/vera", token: api.viewer)
        defer { Task { await vera.close() } }
        #expect(await vera.next(type: "connection_confirmed") != nil)
        for (permission, allowed) in [("menu.view", true), ("dashboard.view", true), ("control.send", false), ("admin.anything", false)] {
            vera.send(#"{"type":"permission_check","id":"pc_\#(permission)","data":{"permission":"\#(permission)"}}"#)
            let result = try #require(await vera.next(type: "permission_check_result"), "no answer for \(permission)")
            let data = try #require(result["data"] as? [String: Any])
            #expect(data["allowed"] as? Bool == allowed, "\(permission)")
            #expect(data["permission"] as? String == permission)
            #expect(data["user"] as? String == "vera")
            #expect(data["request_id"] as? String == "pc_\(permission)")
        }
        vera.send(#"{"type":"permission_check","id":"bad1","data":{"permission":""}}"#)
        #expect((await vera.next(type: "error")?["data"] as? [String: Any])?["code"] as? String == "INVALID_MESSAGE")
        vera.send(#"{"type":"permission_check","id":"bad2"}"#)
        #expect((await vera.next(type: "error")?["data"] as? [String: Any])?["request_id"] as? String == "bad2")

        let nobody = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/anonymous")
        defer { Task { await nobody.close() } }
        nobody.send(#"{"type":"permission_check","id":"a1","data":{"permission":"menu.view"}}"#)
        let anonymous = try #require(await nobody.next(type: "permission_check_result")?["data"] as? [String: Any])
        #expect(anonymous["allowed"] as? Bool == false)
        #expect(anonymous["user"] as? String == "anonymous")

        let operatorToken = try await TestTokens.access("otto", roles: ["operator"])
        let main = try await TestWebSocket.connect(port: cluster.httpPort, token: operatorToken)
        defer { Task { await main.close() } }
        main.send(#"{"type":"permission_check","id":"o1","data":{"permission":"control.send"}}"#)
        #expect((await main.next(type: "permission_check_result")?["data"] as? [String: Any])?["allowed"] as? Bool == true)

        let root = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/vera", token: api.admin)
        defer { Task { await root.close() } }
        root.send(#"{"type":"permission_check","id":"r1","data":{"permission":"anything.at.all"}}"#)
        let asAdmin = try #require(await root.next(type: "permission_check_result")?["data"] as? [String: Any])
        #expect(asAdmin["allowed"] as? Bool == true)
        #expect(asAdmin["user"] as? String == "root")
    }

    @Test func aChangeReachesClientsOnTwoEdgesWithin100ms() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        let otherPort = try FreePort.allocate()
        try cluster.start("ws-edge", as: "ws-edge-2", environment: ["SWITCHBOARD_HTTP_PORT": "\(otherPort)"])
        let first = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/anonymous")
        defer { Task { await first.close() } }
        let second = try await Self.connectWhenUp(port: otherPort, path: "/ws/permissions/vera", token: api.viewer)
        defer { Task { await second.close() } }
        #expect(await first.next(type: "connection_confirmed") != nil)
        #expect(await second.next(type: "connection_confirmed") != nil)

        // Warm up: the edges' subscriptions to `all` reach the scheduler asynchronously after the first connection.
        var version = 0
        var warm = false
        for attempt in 0..<10 where !warm {
            let answer = try await api.put("warm", ["name": "Warm \(attempt)"], as: api.admin)
            version = try answer.json()["version"] as? Int ?? -1
            let atFirst = await Self.menuUpdate(first, version: version, timeout: .seconds(1))
            let atSecond = await Self.menuUpdate(second, version: version, timeout: .seconds(1))
            warm = atFirst != nil && atSecond != nil
        }
        #expect(warm, "menu_update never reached both edges")

        let samples = Int(ProcessInfo.processInfo.environment["SWITCHBOARD_MENU_PUSH_SAMPLES"] ?? "") ?? 5
        var latencies: [Double] = []
        for index in 0..<samples {
            version += 1
            let expected = version
            let start = ContinuousClock.now
            async let put = api.put("item", ["name": "Item \(index)", "sort_order": index], as: api.admin)
            async let atFirst = Self.menuUpdate(first, version: expected, timeout: .seconds(3))
            async let atSecond = Self.menuUpdate(second, version: expected, timeout: .seconds(3))
            let (answer, one, two) = try await (put, atFirst, atSecond)
            #expect(answer.status == 200 || answer.status == 201)
            let frame = try #require(one, "change \(index) did not reach edge 1")
            let other = try #require(two, "change \(index) did not reach edge 2")
            #expect(frame.checksum == (try answer.json()["checksum"] as? String))
            #expect(frame.targetID == nil, "the frame to `all` carries no change details")
            #expect(other.checksum == frame.checksum)
            latencies.append(start.duration(to: max(frame.at, other.at)).seconds * 1000)
        }
        let median = LatencyStats.median(latencies)
        print(
            "menu change → push on two edges, \(samples) changes: median \(String(format: "%.1f", median)) ms, "
                + "p99 \(String(format: "%.1f", LatencyStats.percentile(latencies, 0.99))) ms, max \(String(format: "%.1f", latencies.max() ?? 0)) ms"
        )
        #expect(median < 100, "median change-to-push latency \(median) ms over \(latencies)")
    }

    @Test func killingTheMenuServiceAnswers503FastKeepsSocketsAndRecoversWithTheSameChecksum() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        #expect(try await api.put("home", ["name": "Home", "url": "/", "icon": "house"], as: api.admin).status == 201)
        #expect(try await api.put("docs", ["name": "Docs", "parent": "home", "sort_order": 4], as: api.admin).status == 201)
        let before = try await api.version()

        let permissions = try await TestWebSocket.connect(port: cluster.httpPort, path: "/ws/permissions/anonymous")
        defer { Task { await permissions.close() } }
        let main = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await main.close() } }
        #expect(await permissions.next(type: "connection_confirmed") != nil)
        #expect(await main.next(type: "connection_established") != nil)

        cluster.kill9("menu")
        try await Task.sleep(for: .milliseconds(200))
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let answer = try await cluster.http("GET", "/api/menu/version", timeout: 3)
            #expect(answer.status == 503, "\(answer.text)")
            #expect(start.duration(to: .now) < .seconds(1))
        }
        for (socket, id) in [(permissions, "p1"), (main, "m1")] {
            socket.send(#"{"type":"ping","id":"\#(id)"}"#)
            #expect(await socket.next(type: "pong")?["id"] as? String == "\(id)_pong")
            #expect(!socket.isClosed)
        }

        try cluster.start("menu")
        let end = ContinuousClock.now + .seconds(10)
        var after: MenuAPI.VersionInfo?
        while ContinuousClock.now < end, after == nil {
            after = try? await api.version()
            if after == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let restarted = try #require(after, "menu did not come back")
        #expect(restarted.checksum == before.checksum)
        #expect(restarted.identity == before.identity)
        permissions.send(#"{"type":"ping","id":"p2"}"#)
        #expect(await permissions.next(type: "pong") != nil)

        // Changes after the restart are still pushed.
        #expect(try await api.put("home", ["name": "Home again"], as: api.admin).status == 200)
        #expect(await Self.menuUpdate(permissions, version: before.version + 1, timeout: .seconds(3)) != nil)
    }

    @Test func redisDownAnswers503StorageUnavailableAndRecovers() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        #expect(try await api.put("home", ["name": "Home"], as: api.admin).status == 201)
        let before = try await api.version()

        cluster.redis.kill9()
        let answer = try await cluster.http("GET", "/api/menu/version", timeout: 3)
        #expect(answer.status == 503)
        #expect(try answer.json()["code"] as? String == "storage_unavailable")
        #expect(try await api.put("home", ["name": "Other"], as: api.admin).status == 503)

        try await cluster.redis.restart()
        let end = ContinuousClock.now + .seconds(10)
        var after: MenuAPI.VersionInfo?
        while ContinuousClock.now < end, after == nil {
            after = try? await api.version()
            if after == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(after?.identity == before.identity)
    }

    // MARK: Helpers

    /// A `menu_update` as it arrived: when, and what it said.
    struct Arrival: Sendable {
        let at: ContinuousClock.Instant
        let version: Int
        let checksum: String?
        let targetID: String?
    }

    /// Waits for the `menu_update` of `version` on `socket` (skipping other frames) and notes when it arrived.
    static func menuUpdate(_ socket: TestWebSocket, version: Int, timeout: Duration) async -> Arrival? {
        let end = ContinuousClock.now + timeout
        while true {
            let remaining = ContinuousClock.now.duration(to: end)
            guard remaining > .zero, let frame = await socket.next(type: "menu_update", timeout: remaining) else { return nil }
            let data = frame["data"] as? [String: Any] ?? [:]
            if data["version"] as? Int == version {
                let change = data["change"] as? [String: Any]
                return Arrival(at: .now, version: version, checksum: data["checksum"] as? String, targetID: change?["targetId"] as? String)
            }
        }
    }

    static func connectWhenUp(port: Int, path: String, token: String?) async throws -> TestWebSocket {
        let end = ContinuousClock.now + .seconds(15)
        while true {
            do {
                return try await TestWebSocket.connect(port: port, path: path, token: token, timeout: .seconds(2))
            } catch {
                if ContinuousClock.now > end { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
