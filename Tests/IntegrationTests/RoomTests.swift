import Foundation
import Redis
import TestSupport
import Testing

/// Rooms through real edges (two of them sharing the bus), the scheduler, auth and Redis: fan-out, ACLs, history with
/// `since` and paging, presence across edges, and malformed frames.
@Suite("Rooms and chat", .serialized, .timeLimit(.minutes(3)))
struct RoomTests {
    @Test func chatReachesEveryMemberOnBothEdgesAndNobodyElse() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let secondPort = try await RoomKit.startSecondEdge(cluster)
        let alice = try await RoomKit.socket(cluster.httpPort, "alice")
        let bob = try await RoomKit.socket(secondPort, "bob")
        let carol = try await RoomKit.socket(cluster.httpPort, "carol")
        let dave = try await RoomKit.socket(secondPort, "dave")
        defer { Task { for socket in [alice, bob, carol, dave] { await socket.close() } } }

        let aliceJoined = await RoomKit.join(alice, "lobby")
        #expect(aliceJoined["type"] as? String == "room_joined", "\(aliceJoined)")
        #expect(aliceJoined["request_id"] as? String == "j")
        #expect(aliceJoined["members"] as? [String] == ["alice"])
        #expect((aliceJoined["history"] as? [Any])?.isEmpty == true)
        let bobJoined = await RoomKit.join(bob, "lobby")
        #expect(bobJoined["members"] as? [String] == ["alice", "bob"])
        let joinedEvent = RoomKit.data(await alice.next(type: "member_joined"))
        #expect(joinedEvent["user"] as? String == "bob")
        #expect(joinedEvent["members"] as? [String] == ["alice", "bob"])

        try RoomKit.chat(alice, "lobby", "hello from edge one", id: "c1")
        try RoomKit.chat(bob, "lobby", "hello from edge two", id: "c2")
        for socket in [alice, bob] {
            let messages = await RoomKit.chats(socket, count: 2)
            #expect(Set(RoomKit.contents(messages)) == ["hello from edge one", "hello from edge two"])
            let first = try #require(messages.first { $0["content"] as? String == "hello from edge one" })
            #expect(first["user"] as? String == "alice")
            #expect(first["room"] as? String == "lobby")
            #expect(first["client_id"] as? String == "c1")
            #expect((first["message_id"] as? String)?.contains("-") == true)
            #expect(first["server_time"] as? Int ?? 0 > 1_700_000_000_000)
        }
        try await Task.sleep(for: .milliseconds(500))
        for outsider in [carol, dave] {
            #expect(outsider.drain().filter { $0.contains("chat_message") || $0.contains("member_joined") }.isEmpty)
        }

        // The history holds both, in order, and a non-member cannot post.
        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        #expect(try await redis.send(["XLEN", "room:lobby:history"]).int == 2)
        try RoomKit.chat(carol, "lobby", "let me in", id: "c3")
        let refused = await RoomKit.reply(carol, "chat_message")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "FORBIDDEN")
        #expect(refused["request_id"] as? String == "c3")

        // Leaving: the other member is told, and the one who left gets no more messages.
        bob.send(#"{"type":"leave_room","id":"l1","data":{"room":"lobby"}}"#)
        let left = await RoomKit.reply(bob, "room_left")
        #expect(left["members"] as? [String] == ["alice"])
        #expect(RoomKit.data(await alice.next(type: "member_left"))["user"] as? String == "bob")
        try RoomKit.chat(alice, "lobby", "bob is gone", id: "c4")
        #expect(RoomKit.contents(await RoomKit.chats(alice, count: 1)) == ["bob is gone"])
        #expect(await bob.next(type: "chat_message", timeout: .milliseconds(500)) == nil)
    }

    @Test func aPrivateRoomRefusesAUserUntilTheACLListsThem() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let admin = try await TestTokens.access("root", roles: ["admin"])
        let put = try await cluster.http(
            "PUT", "/api/auth/rooms/board/acl", body: Data(#"{"private":true,"members":["erin"]}"#.utf8),
            headers: ["Authorization": "Bearer \(admin)", "Content-Type": "application/json"])
        #expect(put.status == 200, "\(put.text)")

        let mallory = try await RoomKit.socket(cluster.httpPort, "mallory")
        let erin = try await RoomKit.socket(cluster.httpPort, "erin")
        let anonymous = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { for socket in [mallory, erin, anonymous] { await socket.close() } } }
        let refused = await RoomKit.join(mallory, "board")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "FORBIDDEN")
        #expect(refused["request_id"] as? String == "j")
        #expect((await RoomKit.join(anonymous, "board"))["code"] as? String == "FORBIDDEN")
        mallory.send(#"{"type":"get_history","id":"h","data":{"room":"board"}}"#)
        #expect((await RoomKit.reply(mallory, "history"))["code"] as? String == "FORBIDDEN")
        #expect((await RoomKit.join(erin, "board"))["type"] as? String == "room_joined")

        let open = try await cluster.http(
            "PUT", "/api/auth/rooms/board/acl", body: Data(#"{"private":true,"members":["erin","mallory"]}"#.utf8),
            headers: ["Authorization": "Bearer \(admin)", "Content-Type": "application/json"])
        #expect(open.status == 200)
        #expect((await RoomKit.join(mallory, "board", id: "j2"))["type"] as? String == "room_joined")
    }

    @Test func rejoiningWithSinceReplaysExactlyWhatWasMissedThenLiveMessages() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let secondPort = try await RoomKit.startSecondEdge(cluster)
        let writer = try await RoomKit.socket(cluster.httpPort, "writer")
        let reader = try await RoomKit.socket(secondPort, "reader")
        defer { Task { await writer.close() } }
        _ = await RoomKit.join(writer, "news")
        _ = await RoomKit.join(reader, "news")
        for index in 1...3 { try RoomKit.chat(writer, "news", "before \(index)", id: "b\(index)") }
        let seen = await RoomKit.chats(reader, count: 3)
        #expect(RoomKit.contents(seen) == ["before 1", "before 2", "before 3"])
        let lastSeen = try #require(seen.last?["message_id"] as? String)
        await reader.close()

        for index in 1...4 { try RoomKit.chat(writer, "news", "missed \(index)", id: "m\(index)") }
        #expect(await RoomKit.chats(writer, count: 7).count == 7)

        let returning = try await RoomKit.socket(secondPort, "reader")
        defer { Task { await returning.close() } }
        let rejoined = await RoomKit.join(returning, "news", since: lastSeen)
        let history = try #require(rejoined["history"] as? [[String: Any]], "\(rejoined)")
        #expect(RoomKit.contents(history) == ["missed 1", "missed 2", "missed 3", "missed 4"])
        #expect(rejoined["history_complete"] as? Bool == true)
        #expect(rejoined["last_message_id"] as? String == history.last?["message_id"] as? String)

        // Messages posted while the join is in flight and after it arrive once each, in order, after the history.
        for index in 1...5 { try RoomKit.chat(writer, "news", "live \(index)", id: "l\(index)") }
        let live = await RoomKit.chats(returning, count: 5)
        #expect(RoomKit.contents(live) == ["live 1", "live 2", "live 3", "live 4", "live 5"])
        try await Task.sleep(for: .milliseconds(300))
        #expect(returning.drain().filter { $0.contains("chat_message") }.isEmpty, "no duplicates")

        // A join racing a burst: history plus live frames cover the burst exactly once.
        let racer = try await RoomKit.socket(secondPort, "racer")
        defer { Task { await racer.close() } }
        for index in 1...20 { try RoomKit.chat(writer, "news", "burst \(index)", id: "r\(index)") }
        let raced = await RoomKit.join(racer, "news", since: live.last?["message_id"] as? String)
        var received = RoomKit.contents(raced["history"] as? [[String: Any]] ?? [])
        received += RoomKit.contents(await RoomKit.chats(racer, count: 20 - received.count))
        #expect(received == (1...20).map { "burst \($0)" })
    }

    /// The edge learns of a missed message from the next event's head (`prev`), never from its JSON: a message in the
    /// stream that was never published (as when another scheduler instance's copy is late or lost) reaches every live
    /// member from the stream, once and before the message after it.
    @Test func aStoredButUnpublishedMessageIsRepairedFromTheStreamBeforeTheNextOne() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let writer = try await RoomKit.socket(cluster.httpPort, "writer")
        let reader = try await RoomKit.socket(cluster.httpPort, "reader")
        defer { Task { for socket in [writer, reader] { await socket.close() } } }
        _ = await RoomKit.join(writer, "gaps")
        _ = await RoomKit.join(reader, "gaps")
        try RoomKit.chat(writer, "gaps", "first", id: "g1")
        #expect(RoomKit.contents(await RoomKit.chats(reader, count: 1)) == ["first"])

        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        let now = String(Int(Date().timeIntervalSince1970 * 1000))
        _ = try await redis.send(["XADD", "room:gaps:history", "*", "user", "ghost", "content", "unpublished", "time", now])
        try RoomKit.chat(writer, "gaps", "third", id: "g3")
        #expect(RoomKit.contents(await RoomKit.chats(reader, count: 2)) == ["unpublished", "third"])
        try RoomKit.chat(writer, "gaps", "fourth", id: "g4")
        #expect(RoomKit.contents(await RoomKit.chats(reader, count: 1)) == ["fourth"])
        try await Task.sleep(for: .milliseconds(300))
        #expect(reader.drain().filter { $0.contains("chat_message") }.isEmpty, "no duplicates")
    }

    @Test func aReplayLongerThanOneRoomJoinedContinuesAsChatMessages() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let writer = try await RoomKit.socket(cluster.httpPort, "writer")
        let reader = try await RoomKit.socket(cluster.httpPort, "reader")
        defer { Task { for socket in [writer, reader] { await socket.close() } } }
        _ = await RoomKit.join(writer, "flood")
        try RoomKit.chat(writer, "flood", "start", id: "s")
        let start = try #require(await RoomKit.chats(writer, count: 1).first?["message_id"] as? String)
        let total = 520
        for index in 1...total { try RoomKit.chat(writer, "flood", "n\(index)", id: "n\(index)") }
        #expect(await RoomKit.chats(writer, count: total, timeout: .seconds(30)).count == total)

        let joined = await RoomKit.join(reader, "flood", since: start)
        let history = RoomKit.contents(joined["history"] as? [[String: Any]] ?? [])
        #expect(history.count == 500)
        #expect(joined["history_complete"] as? Bool == false)
        let rest = RoomKit.contents(await RoomKit.chats(reader, count: total - history.count))
        #expect(history + rest == (1...total).map { "n\($0)" })
    }

    @Test func historyPagesBackwardsByMessageIDAndOnlyAnAdminClearsARoom() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let poster = try await RoomKit.socket(cluster.httpPort, "poster")
        let admin = try await RoomKit.socket(cluster.httpPort, "root", roles: ["admin"])
        defer { Task { for socket in [poster, admin] { await socket.close() } } }
        _ = await RoomKit.join(poster, "archive")
        for index in 1...12 { try RoomKit.chat(poster, "archive", "m\(index)", id: "p\(index)") }
        #expect(await RoomKit.chats(poster, count: 12).count == 12)

        poster.send(#"{"type":"get_history","id":"h1","data":{"room":"archive","limit":5}}"#)
        let first = await RoomKit.reply(poster, "history")
        #expect(RoomKit.contents(first["messages"] as? [[String: Any]] ?? []) == ["m8", "m9", "m10", "m11", "m12"])
        #expect(first["has_more"] as? Bool == true)
        let before = try #require(first["next_before"] as? String)
        try poster.send(json: ["type": "get_history", "id": "h2", "data": ["room": "archive", "limit": 5, "before": before]])
        let second = await RoomKit.reply(poster, "history")
        #expect(RoomKit.contents(second["messages"] as? [[String: Any]] ?? []) == ["m3", "m4", "m5", "m6", "m7"])
        try poster.send(json: ["type": "get_history", "id": "h3", "data": ["room": "archive", "limit": 5, "before": second["next_before"] ?? ""]])
        let third = await RoomKit.reply(poster, "history")
        #expect(RoomKit.contents(third["messages"] as? [[String: Any]] ?? []) == ["m1", "m2"])
        #expect(third["has_more"] as? Bool == false)
        poster.send(#"{"type":"get_history","id":"h4","data":{"room":"archive","limit":101}}"#)
        #expect((await RoomKit.reply(poster, "history"))["code"] as? String == "INVALID_MESSAGE")

        poster.send(#"{"type":"clear_history","id":"x1","data":{"room":"archive"}}"#)
        let refused = await RoomKit.reply(poster, "history_cleared")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "FORBIDDEN")
        admin.send(#"{"type":"clear_history","id":"x2","data":{"room":"archive"}}"#)
        let cleared = await RoomKit.reply(admin, "history_cleared")
        #expect(cleared["deleted"] as? Int == 12, "\(cleared)")
        poster.send(#"{"type":"get_history","id":"h5","data":{"room":"archive"}}"#)
        #expect((await RoomKit.reply(poster, "history"))["messages"].map { ($0 as? [Any])?.isEmpty } == true)

        // After clearing, new messages still reach members (their ids are newer than anything they saw).
        try RoomKit.chat(poster, "archive", "after the clear", id: "p13")
        #expect(RoomKit.contents(await RoomKit.chats(poster, count: 1)) == ["after the clear"])
    }

    @Test func aDeadEdgesMembersDisappearWithinThePresenceTTL() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let secondPort = try await RoomKit.startSecondEdge(cluster)
        let stay = try await TestWebSocket.connect(port: cluster.httpPort, token: try await TestTokens.access("stay"))
        let stayID = try #require(RoomKit.data(await stay.next(type: "connection_established"))["connection_id"] as? String)
        let doomed = try await RoomKit.socket(secondPort, "doomed")
        defer { Task { for socket in [stay, doomed] { await socket.close() } } }
        _ = await RoomKit.join(stay, "hall")
        #expect((await RoomKit.join(doomed, "hall"))["members"] as? [String] == ["doomed", "stay"])

        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        // Presence outlives its TTL while the edge lives (it renews it), and sessions are recorded.
        try await Task.sleep(for: .seconds(3))
        let sessions = try await redis.send(["KEYS", "session:*"]).array ?? []
        #expect(sessions.count >= 2)
        let session = try #require(sessions.compactMap(\.text).first)
        let fields = try await redis.send(["HGETALL", session]).array?.compactMap(\.text) ?? []
        #expect(fields.contains("edge") && fields.contains("connected_at") && fields.contains("rooms"))

        cluster.kill9("ws-edge-2")
        let shrank = await RoomKit.eventually(timeout: .seconds(6)) {
            let probe = try? await RoomKit.socket(cluster.httpPort, "probe")
            guard let probe else { return false }
            let members = await RoomKit.join(probe, "hall")["members"] as? [String]
            await probe.close()
            return members == ["probe", "stay"]
        }
        #expect(shrank, "members of the dead edge are still listed")

        // A clean disconnect deletes the session at once.
        #expect(try await redis.send(["HGET", "session:\(stayID)", "rooms"]).text == "hall")
        await stay.close()
        #expect(await RoomKit.eventually(timeout: .seconds(3)) { (try? await redis.send(["EXISTS", "session:\(stayID)"]).int) == 0 })
    }

    @Test func malformedRoomFramesAreErrorsAndTheConnectionStaysOpen() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let socket = try await RoomKit.socket(cluster.httpPort, "fuzzy")
        defer { Task { await socket.close() } }
        let long = String(repeating: "x", count: 2001)
        for bad in [
            #"{"type":"join_room","id":"e1"}"#,
            #"{"type":"join_room","id":"e2","data":{}}"#,
            #"{"type":"join_room","id":"e3","data":{"room":42}}"#,
            #"{"type":"join_room","id":"e4","data":{"room":"no spaces allowed"}}"#,
            #"{"type":"join_room","id":"e5","data":{"room":"ok","since":"yesterday"}}"#,
            #"{"type":"chat_message","id":"e6","data":{"room":"ok"}}"#,
            #"{"type":"chat_message","id":"e7","data":{"room":"ok","content":["a"]}}"#,
            #"{"type":"chat_message","id":"e8","data":{"room":"ok","content":"\#(long)"}}"#,
            #"{"type":"chat_message","id":"e9","data":{"room":"ok","content":""}}"#,
            #"{"type":"get_history","id":"e10","data":{"room":"ok","before":"soon"}}"#,
            #"{"type":"leave_room","id":"e11","data":{"room":"never-joined"}}"#,
        ] {
            socket.send(bad)
            let frame = TestTokens.json(await socket.next(timeout: .seconds(3)))
            #expect(frame["type"] as? String == "error", "\(bad.prefix(80)) → \(frame)")
            let data = RoomKit.data(frame)
            #expect(data["request_id"] as? String == TestTokens.json(bad)["id"] as? String)
            #expect(["INVALID_MESSAGE", "REJECTED"].contains(data["code"] as? String ?? ""), "\(bad.prefix(80)) → \(data)")
        }
        #expect((await RoomKit.join(socket, "ok"))["type"] as? String == "room_joined")
        try RoomKit.chat(socket, "ok", String(repeating: "y", count: 2000), id: "fine")
        #expect(RoomKit.contents(await RoomKit.chats(socket, count: 1)).first?.count == 2000)
    }
}
