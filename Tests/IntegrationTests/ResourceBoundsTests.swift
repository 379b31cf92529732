import Bus
import Foundation
import Redis
import SwitchboardProtocol
import TestSupport
import Testing

/// Issue 11's bounded resources, through the real processes: channels per subscribe and per connection, chat, question
/// and control sizes in UTF-8 bytes (at the edge, and at the scheduler when the edge is bypassed), outbound frames
/// larger than a connection's byte bound, and the suggestion sets' cap. Every refusal must leave Redis unchanged.
@Suite("Resource bounds", .serialized, .timeLimit(.minutes(3)))
struct ResourceBoundsTests {
    /// 2100 bytes in 700 characters: under a 2000-character limit, over the 2000-byte one.
    static let wideChat = String(repeating: "电", count: 700)

    /// An RPC client to the cluster's scheduler, as an edge has, after one call got through.
    static func scheduler(_ cluster: Cluster) async throws -> RPCClient {
        let client = try RPCClient(service: "scheduler", endpoint: "ipc://\(cluster.runDirectory)/scheduler.sock")
        let end = ContinuousClock.now + .seconds(10)
        while (try? await client.call(SystemHealth.self, NoParams(), timeout: .seconds(1))) == nil {
            guard ContinuousClock.now < end else {
                client.shutdown()
                throw HarnessError("the scheduler does not answer sys.health over the bus")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return client
    }

    /// The channel ids of a `data_batch`, sorted.
    static func batchChannels(_ frame: [String: Any]?) -> [Int] {
        let updates = (frame?["data"] as? [String: Any])?["updates"] as? [[String: Any]] ?? []
        return Array(Set(updates.compactMap { $0["channel_id"] as? Int })).sorted()
    }

    @Test func channelsPerSubscribeAndPerConnectionAreBoundedAndAnOverLimitSubscribeChangesNothing() async throws {
        let cluster = try await Cluster.start(environment: [
            "SWITCHBOARD_MAX_CHANNELS_PER_SUBSCRIBE": "5", "SWITCHBOARD_MAX_CHANNELS_PER_CONNECTION": "8",
        ])
        defer { cluster.shutdown() }
        try await TelemetryTests.seed(cluster, channels: Array(1...20), types: ["T"])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")

        // Six ids in one frame: refused by the edge, naming the field and the setting.
        try TelemetryTests.subscribe(socket, id: "six", channels: Array(1...6), types: ["T"], interval: 100)
        let six = RoomKit.data(await socket.next(type: "error"))
        #expect(six["code"] as? String == "INVALID_MESSAGE")
        #expect(six["request_id"] as? String == "six")
        let sixMessage = six["message"] as? String ?? ""
        #expect(sixMessage.contains("data.channels") && sixMessage.contains("SWITCHBOARD_MAX_CHANNELS_PER_SUBSCRIBE"), "\(sixMessage)")

        try TelemetryTests.subscribe(socket, id: "five", channels: Array(1...5), types: ["T"], interval: 100)
        let five = RoomKit.data(await socket.next(type: "subscribe_ack"))
        #expect(five["subscribed"] as? [Int] == [1, 2, 3, 4, 5])
        #expect(Self.batchChannels(await socket.next(type: "data_batch")) == [1, 2, 3, 4, 5])

        // Four more would make nine on this connection: refused by the scheduler, and the subscription stays at five.
        try TelemetryTests.subscribe(socket, id: "four", channels: Array(6...9), types: ["T"], interval: 100)
        let four = RoomKit.data(await socket.next(type: "error"))
        #expect(four["code"] as? String == "INVALID_MESSAGE")
        #expect(four["request_id"] as? String == "four")
        let fourMessage = four["message"] as? String ?? ""
        #expect(fourMessage.contains("data.channels") && fourMessage.contains("SWITCHBOARD_MAX_CHANNELS_PER_CONNECTION"), "\(fourMessage)")
        _ = socket.drain()
        for _ in 0..<3 {
            #expect(Self.batchChannels(await socket.next(type: "data_batch")) == [1, 2, 3, 4, 5])
        }

        // Channels that do not exist are reported as failed and do not count: three real ones reach exactly eight.
        try TelemetryTests.subscribe(socket, id: "three", channels: [6, 7, 8, 900, 901], types: ["T"], interval: 100)
        let three = RoomKit.data(await socket.next(type: "subscribe_ack"))
        #expect(three["subscribed"] as? [Int] == [6, 7, 8], "\(three)")
        #expect(three["failed"] as? [Int] == [900, 901], "\(three)")
        #expect(Self.batchChannels(await socket.next(type: "data_batch")) == Array(1...8))

        // An alarm subscription replaces the previous one: one list, bounded by the smaller bound.
        try socket.send(json: ["type": "subscribe_alarms", "id": "alarms6", "data": ["channels": Array(1...6)]])
        let alarms6 = RoomKit.data(await socket.next(type: "error"))
        #expect(alarms6["request_id"] as? String == "alarms6")
        #expect(alarms6["code"] as? String == "INVALID_MESSAGE")
        #expect((alarms6["message"] as? String ?? "").contains("data.channels"), "\(alarms6)")
        try socket.send(json: ["type": "subscribe_alarms", "id": "alarms5", "data": ["channels": Array(1...5)]])
        #expect(RoomKit.data(await socket.next(type: "subscribe_alarms_ack"))["channels"] as? [Int] == [1, 2, 3, 4, 5])

        // The scheduler enforces both bounds itself for any caller of `scheduler.command`, whatever state it claims.
        let scheduler = try await Self.scheduler(cluster)
        defer { scheduler.shutdown() }
        let direct = try await Self.command(
            scheduler, #"{"type":"subscribe","id":"d6","data":{"channels":[1,2,3,4,5,6],"data_types":["T"],"interval":100}}"#)
        #expect(direct["code"] as? String == "INVALID_MESSAGE", "\(direct)")
        #expect((direct["message"] as? String)?.contains("data.channels") == true, "\(direct)")
        let claimed = #"{"subscriptions":[{"source":"comsrv","intervalMs":100,"channels":[1,2,3,4,5,6,7,8,9],"types":["T"],"topic":"t"}]}"#
        let tooMuchExisting = try await Self.command(
            scheduler, #"{"type":"subscribe","id":"d1","data":{"channels":[1],"data_types":["T"],"interval":100}}"#, state: claimed)
        #expect(tooMuchExisting["code"] as? String == "INVALID_MESSAGE", "\(tooMuchExisting)")
    }

    /// Sends one client frame to `scheduler.command` as a caller that skips the edge would; the `data` of the first frame
    /// of the reply.
    static func command(_ scheduler: RPCClient, _ frame: String, principal: Principal? = nil, state: String? = nil) async throws -> [String: Any] {
        let type = TestTokens.json(frame)["type"] as? String ?? ""
        let reply = try await scheduler.call(
            SchedulerCommand.self,
            .init(
                edge: "bypass", connection: "bypass-1", principal: principal, ip: "127.0.0.1", endpoint: "main", type: type, id: nil, frame: frame,
                state: state),
            timeout: .seconds(5))
        return RoomKit.data(TestTokens.json(reply.frames.first))
    }

    @Test func chatContentAndClientIDAreBoundedInBytesAtTheEdgeAndAtTheScheduler() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let socket = try await RoomKit.socket(cluster.httpPort, "wen")
        defer { Task { await socket.close() } }
        #expect(await RoomKit.join(socket, "lobby")["type"] as? String == "room_joined")

        try RoomKit.chat(socket, "lobby", Self.wideChat, id: "wide")
        let wide = await RoomKit.reply(socket, "chat_message")
        #expect(wide["type"] as? String == "error")
        #expect(wide["code"] as? String == "INVALID_MESSAGE")
        #expect(wide["request_id"] as? String == "wide")
        let wideMessage = wide["message"] as? String ?? ""
        #expect(wideMessage.contains("content") && wideMessage.contains("2100 bytes") && wideMessage.contains("2000"), "\(wideMessage)")

        let longID = String(repeating: "i", count: InputLimits.clientIDBytes + 1)
        try RoomKit.chat(socket, "lobby", "hello", id: longID)
        let idReply = await RoomKit.reply(socket, "chat_message")
        #expect(idReply["type"] as? String == "error")
        #expect(idReply["code"] as? String == "INVALID_MESSAGE")
        #expect((idReply["message"] as? String ?? "").contains("id is 65 bytes"), "\(idReply)")

        // Just under both bounds: 666 × 3 = 1998 bytes of content, a 64-byte id.
        let fits = String(repeating: "电", count: 666)
        let fullID = String(repeating: "i", count: InputLimits.clientIDBytes)
        try RoomKit.chat(socket, "lobby", fits, id: fullID)
        let stored = await RoomKit.reply(socket, "chat_message")
        #expect(stored["content"] as? String == fits, "\(stored)")
        #expect(stored["client_id"] as? String == fullID)

        // The scheduler owns the history and is the only check: a caller that skips the edge is refused the same.
        let scheduler = try await Self.scheduler(cluster)
        defer { scheduler.shutdown() }
        let wen = Principal(user: "wen", roles: ["viewer"])
        let member = #"{"rooms":["lobby"]}"#
        func post(_ content: String, id: String) async throws -> [String: Any] {
            let frame = String(
                decoding: try JSONSerialization.data(withJSONObject: [
                    "type": "chat_message", "id": id, "data": ["room": "lobby", "content": content],
                ]), as: UTF8.self)
            return try await Self.command(scheduler, frame, principal: wen, state: member)
        }
        let directWide = try await post(Self.wideChat, id: "x")
        #expect(directWide["code"] as? String == "INVALID_MESSAGE")
        #expect((directWide["message"] as? String)?.contains("2100 bytes") == true, "\(directWide)")
        #expect(try await post("hi", id: longID)["code"] as? String == "INVALID_MESSAGE")
        #expect(try await post(" \n ", id: "b")["code"] as? String == "INVALID_MESSAGE")

        let redis = try TelemetryTests.redis(cluster)
        defer { redis.shutdown() }
        #expect(try await redis.send(["XLEN", "room:lobby:history"]).int == 1, "only the message within the bounds is stored")
    }

    @Test func questionsAreBoundedInBytesAtTheEdgeAndAtTheScheduler() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment.merging(["SWITCHBOARD_QUESTION_RATE_PER_MIN": "1000"]) { $1 })
        defer { cluster.shutdown() }
        let socket = try await RoomKit.socket(cluster.httpPort, "qiu")
        defer { Task { await socket.close() } }

        // 334 × 3 = 1002 bytes: under 1000 characters, over 1000 bytes.
        let wide = String(repeating: "问", count: 334)
        try QuestionTests.ask(socket, wide, id: "wide")
        let refused = await RoomKit.reply(socket, "question_accepted")
        #expect(refused["type"] as? String == "error")
        #expect(refused["code"] as? String == "INVALID_MESSAGE")
        #expect((refused["message"] as? String ?? "").contains("1002 bytes"), "\(refused)")

        let fits = String(repeating: "问", count: 333)
        try QuestionTests.ask(socket, fits, id: "fits")
        let accepted = await RoomKit.reply(socket, "question_accepted")
        #expect(accepted["status"] as? String == "processing", "\(accepted)")

        let scheduler = try await Self.scheduler(cluster)
        defer { scheduler.shutdown() }
        let direct = try await Self.command(
            scheduler, #"{"type":"ask_question","id":"d","data":{"question":"\#(wide)"}}"#, principal: Principal(user: "qiu", roles: ["viewer"]))
        #expect(direct["code"] as? String == "INVALID_MESSAGE")
        #expect((direct["message"] as? String)?.contains("1002 bytes") == true, "\(direct)")

        let redis = try TelemetryTests.redis(cluster)
        defer { redis.shutdown() }
        #expect(try await redis.send(["XLEN", "questions:qiu"]).int == 1, "only the question within the bound is stored")
        #expect(try await redis.send(["ZCARD", "questions:popular"]).int == 1)
    }

    @Test func controlIDTypeAndReasonAreBoundedAndAnOversizedCommandIsNotQueued() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: try await TestTokens.access("olga", roles: ["operator"]))
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")

        let longReason = String(repeating: "理", count: 86)  // 258 bytes, 86 characters
        let cases: [(id: String, data: [String: Any], mentions: String)] = [
            ("r1", ["channel_id": 2001, "point_id": 1, "value": 1, "reason": longReason], "reason is 258 bytes"),
            (String(repeating: "c", count: 65), ["channel_id": 2001, "point_id": 1, "value": 1], "id is 65 bytes"),
            ("t1", ["channel_id": 2001, "point_id": 1, "value": 1, "command_type": String(repeating: "t", count: 65)], "command_type is 65 bytes"),
        ]
        for entry in cases {
            try socket.send(json: ["type": "control", "id": entry.id, "data": entry.data])
            let ack = RoomKit.data(await socket.next(type: "control_ack"))
            #expect(ack["status"] as? String == "failed", "\(entry.mentions): \(ack)")
            let error = (ack["result"] as? [String: Any])?["error"] as? String ?? ""
            #expect(error.contains(entry.mentions), "\(error)")
        }
        try socket.send(json: ["type": "control", "id": "ok", "data": ["channel_id": 2001, "point_id": 1, "value": 1, "reason": "短"]])
        #expect(RoomKit.data(await socket.next(type: "control_ack"))["status"] as? String == "executed")

        let scheduler = try await Self.scheduler(cluster)
        defer { scheduler.shutdown() }
        let direct = try await Self.command(
            scheduler, #"{"type":"control","id":"d","data":{"channel_id":2001,"point_id":1,"value":1,"reason":"\#(longReason)"}}"#,
            principal: Principal(user: "olga", roles: ["operator"]))
        #expect(direct["status"] as? String == "failed", "\(direct)")
        #expect(((direct["result"] as? [String: Any])?["error"] as? String)?.contains("reason") == true, "\(direct)")
        // Nor does a caller that skips the edge get past the role check: the principal decides, not the frame.
        let unsigned = try await Self.command(
            scheduler, #"{"type":"control","id":"u","data":{"channel_id":2001,"point_id":1,"value":1,"operator":"olga"}}"#)
        #expect(unsigned["status"] as? String == "rejected", "\(unsigned)")

        let redis = try TelemetryTests.redis(cluster)
        defer { redis.shutdown() }
        let queued = try await redis.send(["LRANGE", "comsrv:2001:A:TODO", "0", "-1"]).array ?? []
        #expect(queued.count == 1, "only the command within the bounds is queued")
        #expect(TestTokens.json(queued.first?.text)["command_id"] as? String == "ok")
    }

    /// A reply larger than the connection's whole byte bound is dropped with a `REJECTED` error naming the sizes, even
    /// though the writer is idle; the connection stays open and smaller replies still arrive.
    @Test func anOutboundFrameLargerThanTheConnectionsByteBoundIsRefusedWithAnError() async throws {
        let queueBytes = 8192
        let cluster = try await Cluster.start(
            environment: RoomKit.environment.merging(["SWITCHBOARD_WS_QUEUE_BYTES": String(queueBytes)]) { $1 })
        defer { cluster.shutdown() }
        let socket = try await RoomKit.socket(cluster.httpPort, "hana")
        defer { Task { await socket.close() } }
        #expect(await RoomKit.join(socket, "big")["type"] as? String == "room_joined")
        let content = String(repeating: "x", count: 1900)
        for index in 0..<6 {
            try RoomKit.chat(socket, "big", content, id: "c\(index)")
            #expect(RoomKit.data(await socket.next(type: "chat_message"))["client_id"] as? String == "c\(index)")
        }

        // Six messages of 1900 bytes make a history frame of more than 11,400 bytes.
        socket.send(#"{"type":"get_history","id":"all","data":{"room":"big","limit":6}}"#)
        let refused = await RoomKit.reply(socket, "history")
        #expect(refused["type"] as? String == "error", "\(refused)")
        #expect(refused["code"] as? String == "REJECTED")
        let details = refused["details"] as? [String: Any] ?? [:]
        #expect(details["frame_type"] as? String == "history")
        #expect(details["limit_bytes"] as? String == String(queueBytes))
        #expect(Int(details["frame_bytes"] as? String ?? "") ?? 0 > 6 * 1900, "\(details)")

        // Still open: a page that fits arrives.
        socket.send(#"{"type":"get_history","id":"two","data":{"room":"big","limit":2}}"#)
        let page = await RoomKit.reply(socket, "history")
        #expect((page["messages"] as? [[String: Any]])?.count == 2, "\(page)")
        #expect(cluster.log("ws-edge").contains("outbound frame dropped"))
    }

    /// `questions:popular` and `questions:lex` hold at most the cap however many distinct questions are asked; the most
    /// asked question survives, and the two sets keep the same members.
    @Test func theSuggestionSetsAreTrimmedToTheirCap() async throws {
        let cap = 5
        let cluster = try await Cluster.start(
            environment: RoomKit.environment.merging([
                "SWITCHBOARD_QUESTION_SUGGESTIONS_MAX": String(cap), "SWITCHBOARD_QUESTION_RATE_PER_MIN": "1000",
            ]) { $1 })
        defer { cluster.shutdown() }
        let socket = try await RoomKit.socket(cluster.httpPort, "tia")
        defer { Task { await socket.close() } }
        var asked = 0
        func ask(_ question: String) async {
            asked += 1
            try? QuestionTests.ask(socket, question, id: "q\(asked)")
            #expect(await RoomKit.reply(socket, "question_accepted")["status"] as? String == "processing", "\(question)")
        }
        for _ in 0..<3 { await ask("how do rooms work") }
        for index in 0..<(cap + 7) { await ask("distinct question number \(index)") }

        let redis = try TelemetryTests.redis(cluster)
        defer { redis.shutdown() }
        let popular = try await redis.send(["ZRANGE", Self.popularKey, "0", "-1"]).array?.compactMap(\.text) ?? []
        let lex = try await redis.send(["ZRANGE", Self.lexKey, "0", "-1"]).array?.compactMap(\.text) ?? []
        #expect(popular.count == cap, "\(popular)")
        #expect(Set(lex) == Set(popular), "lex \(lex) popular \(popular)")
        #expect(popular.contains("how do rooms work"))
        #expect(try await redis.send(["XLEN", "questions:tia"]).int == asked, "the user's own history is not trimmed by this cap")
    }

    static let popularKey = "questions:popular"
    static let lexKey = "questions:lex"
}
