import Foundation
import Redis
import TestSupport
import Testing

/// Questions as tasks: accepted at once, answered by the real `answer-worker` over the `questions` stream, re-delivered
/// when a worker dies mid-task, rate-limited, with the asker's own history and suggestions.
@Suite("Questions and answers", .serialized, .timeLimit(.minutes(3)))
struct QuestionTests {
    static func ask(_ socket: TestWebSocket, _ question: String, id: String) throws {
        try socket.send(json: ["type": "ask_question", "id": id, "data": ["question": question]])
    }

    /// The first frame of each of `types`, in whatever order they come: the answer travels the event path and the
    /// acceptance the RPC reply path, so on a loaded machine the answer can overtake `question_accepted`.
    static func firstOfEach(_ socket: TestWebSocket, _ types: Set<String>, timeout: Duration) async -> [String: [String: Any]] {
        var found: [String: [String: Any]] = [:]
        let end = ContinuousClock.now + timeout
        while found.count < types.count, ContinuousClock.now < end, let text = await socket.next(timeout: end - .now) {
            let frame = TestTokens.json(text)
            if let type = frame["type"] as? String, types.contains(type), found[type] == nil { found[type] = frame }
        }
        return found
    }

    @Test func aQuestionIsAcceptedAtOnceAndAnsweredByTheWorkerOnEveryConnectionOfTheUser() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        try cluster.start("answer-worker", arguments: ["--consumer", "w1", "--claim-after-ms", "1000"])
        let phone = try await RoomKit.socket(cluster.httpPort, "quinn")
        let laptop = try await RoomKit.socket(cluster.httpPort, "quinn")
        let other = try await RoomKit.socket(cluster.httpPort, "someone")
        defer { Task { for socket in [phone, laptop, other] { await socket.close() } } }

        try Self.ask(phone, "  How do I join a room?  ", id: "q1")
        let onPhone = await Self.firstOfEach(phone, ["question_accepted", "task_update", "answer"], timeout: .seconds(15))
        let accepted = RoomKit.data(onPhone["question_accepted"])
        #expect(accepted["request_id"] as? String == "q1")
        #expect(accepted["status"] as? String == "processing")
        let taskID = try #require(accepted["task_id"] as? String, "\(accepted)")
        let onLaptop = await Self.firstOfEach(laptop, ["task_update", "answer"], timeout: .seconds(10))

        for frames in [onPhone, onLaptop] {
            let update = RoomKit.data(frames["task_update"])
            #expect(update["task_id"] as? String == taskID)
            #expect(update["status"] as? String == "done")
            let answer = RoomKit.data(frames["answer"])
            #expect(answer["task_id"] as? String == taskID)
            #expect((answer["answer"] as? String)?.contains("join_room") == true, "\(answer)")
            #expect(answer["score"] as? Double ?? 0 >= 0.45)
            #expect((answer["source"] as? String)?.hasPrefix("faq:") == true)
        }
        #expect(await other.next(type: "answer", timeout: .milliseconds(500)) == nil)

        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        #expect(try await redis.send(["HGET", "task:\(taskID)", "status"]).text == "done")
        #expect(try await redis.send(["TTL", "task:\(taskID)"]).int ?? 0 > 3000)
        let pending = try await redis.send(["XPENDING", "questions", "answer-workers"]).array?.first?.int
        #expect(pending == 0, "the worker acknowledged the task")

        // Something the FAQ does not know is answered as such, with its (low) score.
        try Self.ask(phone, "What is the airspeed of an unladen swallow?", id: "q2")
        let unknown = RoomKit.data(await phone.next(type: "answer", timeout: .seconds(10)))
        #expect((unknown["answer"] as? String)?.hasPrefix("I don't know yet") == true, "\(unknown)")
        #expect(unknown["source"] as? String == "none")
        #expect(unknown["score"] as? Double ?? 1 < 0.45)

        // The user's own history holds both questions and both answers; clearing it empties it.
        phone.send(#"{"type":"get_history","id":"h1","data":{"limit":10}}"#)
        let history = await RoomKit.reply(phone, "history")
        let entries = history["messages"] as? [[String: Any]] ?? []
        #expect(history["scope"] as? String == "questions")
        #expect(entries.compactMap { $0["kind"] as? String } == ["question", "answer", "question", "answer"], "\(history)")
        phone.send(#"{"type":"clear_history","id":"x1"}"#)
        #expect((await RoomKit.reply(phone, "history_cleared"))["deleted"] as? Int == 4)
    }

    @Test func aWorkerKilledMidTaskLeavesItToAnotherWhichAnswersIt() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        try cluster.start("answer-worker", as: "slow-worker", arguments: ["--consumer", "slow", "--delay-ms", "3000"])
        let socket = try await RoomKit.socket(cluster.httpPort, "patient")
        defer { Task { await socket.close() } }
        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }

        try Self.ask(socket, "How do I subscribe to telemetry data?", id: "q1")
        let taskID = try #require((await RoomKit.reply(socket, "question_accepted"))["task_id"] as? String)
        // Wait until the slow worker holds it, then kill it before it answers.
        let taken = await RoomKit.eventually(timeout: .seconds(10)) {
            (try? await redis.send(["XPENDING", "questions", "answer-workers"]).array?.first?.int) == 1
        }
        #expect(taken, "the slow worker never read the question:\n\(cluster.log("slow-worker"))")
        cluster.kill9("slow-worker")
        #expect(await socket.next(type: "answer", timeout: .seconds(1)) == nil)
        #expect(try await redis.send(["HGET", "task:\(taskID)", "status"]).text == "processing")

        try cluster.start("answer-worker", as: "rescuer", arguments: ["--consumer", "rescuer", "--claim-after-ms", "500"])
        let answer = RoomKit.data(await socket.next(type: "answer", timeout: .seconds(15)))
        #expect(answer["task_id"] as? String == taskID, "\(answer)\n\(cluster.log("rescuer"))")
        #expect((answer["answer"] as? String)?.contains("subscribe") == true)
        #expect(try await redis.send(["HGET", "task:\(taskID)", "worker"]).text == "rescuer")
        let pendingAfter = await RoomKit.eventually(timeout: .seconds(3)) {
            (try? await redis.send(["XPENDING", "questions", "answer-workers"]).array?.first?.int) == 0
        }
        #expect(pendingAfter)
    }

    @Test func theSixthQuestionInAMinuteIsRateLimitedAndBadQuestionsAreErrors() async throws {
        let cluster = try await Cluster.start(environment: RoomKit.environment)
        defer { cluster.shutdown() }
        let socket = try await RoomKit.socket(cluster.httpPort, "eager")
        let anonymous = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { for client in [socket, anonymous] { await client.close() } } }
        for bad in [
            #"{"type":"ask_question","id":"b1"}"#,
            #"{"type":"ask_question","id":"b2","data":{"question":7}}"#,
            #"{"type":"ask_question","id":"b3","data":{"question":" ok "}}"#,
            #"{"type":"ask_question","id":"b4","data":{"question":"\#(String(repeating: "q", count: 1001))"}}"#,
            #"{"type":"get_suggestions","id":"b5","data":{}}"#,
        ] {
            socket.send(bad)
            let frame = TestTokens.json(await socket.next(timeout: .seconds(3)))
            #expect(frame["type"] as? String == "error", "\(bad.prefix(60)) → \(frame)")
            #expect(RoomKit.data(frame)["code"] as? String == "INVALID_MESSAGE")
        }
        try Self.ask(anonymous, "Who am I?", id: "anon")
        #expect((await RoomKit.reply(anonymous, "question_accepted"))["code"] as? String == "UNAUTHORIZED")

        let questions = [
            "How do I reset my password?", "How do I reset my password?", "How do I reset my password?", "How do I join a room?",
            "How do I make a room private?",
        ]
        for (index, question) in questions.enumerated() {
            try Self.ask(socket, question, id: "ok\(index)")
            #expect((await RoomKit.reply(socket, "question_accepted"))["task_id"] != nil)
        }
        try Self.ask(socket, "One question too many?", id: "sixth")
        let limited = await RoomKit.reply(socket, "question_accepted")
        #expect(limited["type"] as? String == "error")
        #expect(limited["code"] as? String == "RATE_LIMITED")
        #expect(limited["request_id"] as? String == "sixth")
        #expect(Int((limited["details"] as? [String: Any])?["retry_after_seconds"] as? String ?? "") ?? 0 >= 1)

        // Suggestions: most frequent first, by normalised prefix, bounded.
        socket.send(#"{"type":"get_suggestions","id":"s1","data":{"prefix":"HOW do i"}}"#)
        let suggestions = await RoomKit.reply(socket, "suggestions")
        let texts = (suggestions["suggestions"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(texts.first == "how do i reset my password?", "\(suggestions)")
        #expect(Set(texts) == ["how do i reset my password?", "how do i join a room?", "how do i make a room private?"])
        #expect((suggestions["suggestions"] as? [[String: Any]])?.first?["count"] as? Int == 3)
        socket.send(#"{"type":"get_suggestions","id":"s2","data":{"prefix":"how do i m"}}"#)
        let narrowed = await RoomKit.reply(socket, "suggestions")
        #expect((narrowed["suggestions"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == ["how do i make a room private?"])
    }
}
