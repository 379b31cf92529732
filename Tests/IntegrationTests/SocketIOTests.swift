import Foundation
import ServiceKit
import TestSupport
import Testing

/// Unchanged python-socketio 5.18 clients (`Tools/socketio/client.py`, its pinned venv) against a real cluster's
/// `/socket.io/`: connect with a token, acks, chat across Socket.IO and `/ws` clients, questions answered by the real
/// answer worker, history, malformed and binary packets, refusals and the per-IP limit; over each transport.
@Suite("Socket.IO clients", .serialized, .timeLimit(.minutes(10)))
struct SocketIOTests {
    /// A short Engine.IO ping so that several pings pass during a test's idle pause.
    static let environment = RoomKit.environment.merging(
        ["SWITCHBOARD_SOCKETIO_PING_INTERVAL_MS": "700", "SWITCHBOARD_SOCKETIO_PING_TIMEOUT_MS": "5000"]) { $1 }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tools/socketio/client.py").path

    /// Runs one scenario of the client script; its `RESULT` line. The first run creates the venv (pip), hence the bound.
    static func run(_ arguments: [String], in cluster: Cluster?, timeout: Duration = .seconds(420)) async throws -> [String: Any] {
        let output = "\(cluster?.runDirectory ?? NSTemporaryDirectory())/socketio-\(UUID().uuidString.prefix(6)).out"
        let child = try ChildProcess(
            executable: "/usr/bin/python3", arguments: [script] + arguments, environment: ProcessInfo.processInfo.environment, outputPath: output)
        let exited = await child.exited(within: timeout)
        if !exited { child.kill9() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(exited && child.exitStatus == 0, "client.py: \(text)")
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
            Issue.record("no RESULT from client.py:\n\(text)\n\(cluster?.log("ws-edge").suffix(4000) ?? "")")
            return [:]
        }
        return TestTokens.json(String(line.dropFirst("RESULT ".count)))
    }

    static func dict(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    func session(transport: String) async throws {
        let cluster = try await Cluster.start(environment: Self.environment)
        defer { cluster.shutdown() }
        try cluster.start("answer-worker", arguments: ["--consumer", "w1", "--claim-after-ms", "1000"])
        let room = "sio-\(transport)"
        let result = try await Self.run(
            [
                "session", "--port", String(cluster.httpPort), "--transport", transport, "--room", room,
                "--admin", try await TestTokens.access("alice", roles: ["admin"]), "--token2", try await TestTokens.access("bob"),
                "--ws-token", try await TestTokens.access("carol"), "--idle", "3",
            ], in: cluster)
        #expect(result["exception"] == nil, "\(result)\n\(cluster.log("ws-edge").suffix(4000))")
        let expected = transport == "polling" ? "polling" : "websocket"
        #expect(result["transports"] as? [String] == [expected, expected])
        #expect(Self.dict(result["greeting"])["user"] as? String == "alice")

        // The ack of join_room is the room_joined data; the event path and /ws join the same room.
        let joinAck = Self.dict(result["join_ack"])
        #expect(joinAck["room"] as? String == room, "\(result)")
        #expect(joinAck["members"] != nil)
        #expect(Self.dict(result["bob_joined"])["room"] as? String == room)
        #expect(Self.dict(result["plain_joined"])["room"] as? String == room)

        // Chat in both directions between Socket.IO and /ws.
        for key in ["bob_chat", "plain_chat"] {
            let chat = Self.dict(result[key])
            #expect(chat["content"] as? String == "hello from socket.io", "\(key): \(chat)")
            #expect(chat["room"] as? String == room)
        }
        for key in ["alice_chat_from_plain", "bob_chat_from_plain"] {
            #expect(Self.dict(result[key])["content"] as? String == "hello from /ws", "\(key): \(result[key] ?? "nil")")
        }

        // ask_question → question_accepted, then the worker's answer.
        let accepted = Self.dict(result["question_accepted"])
        let taskID = accepted["task_id"] as? String
        #expect(taskID != nil, "\(result)")
        let answer = Self.dict(result["answer"])
        #expect(answer["task_id"] as? String == taskID)
        #expect((answer["answer"] as? String)?.contains("join_room") == true, "\(answer)")

        // History as an ack and as an event; clearing it (alice is an admin).
        let history = Self.dict(result["history_ack"])
        let contents = (history["messages"] as? [[String: Any]] ?? []).compactMap { $0["content"] as? String }
        #expect(contents.contains("hello from socket.io") && contents.contains("hello from /ws"), "\(history)")
        #expect(Self.dict(result["history_event"])["room"] as? String == room)
        let cleared = Self.dict(result["cleared_ack"])
        #expect(cleared["room"] as? String == room, "\(cleared)")
        #expect(cleared["deleted"] as? Int ?? 0 >= 2)

        // Bad input gets error events or acks, and the connection goes on.
        #expect(Self.dict(result["malformed_error"])["code"] as? String == "INVALID_MESSAGE", "\(result)")
        #expect(Self.dict(result["unknown_ack"])["code"] as? String == "UNKNOWN_TYPE")
        #expect((Self.dict(result["binary_error"])["message"] as? String)?.contains("binary") == true)
        #expect(Self.dict(result["ping_after_errors"])["server_time"] != nil)
        #expect(Self.dict(result["rejoin_ack"])["room"] as? String == room + "-b", "\(result)")
        #expect(Self.dict(result["ping_after_idle"])["server_time"] != nil, "\(result)")
        #expect(result["connected_after_idle"] as? Bool == true)
    }

    @Test func websocketOnlyClientsUseEveryFeature() async throws {
        try await session(transport: "websocket")
    }

    @Test func pollingClientsUpgradeToWebSocket() async throws {
        try await session(transport: "upgrade")
    }

    @Test func pollingOnlyClientsUseEveryFeature() async throws {
        try await session(transport: "polling")
    }

    @Test func refusedTokensOtherNamespacesAndTheEleventhConnectionGetConnectErrors() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "10"])
        defer { cluster.shutdown() }
        let result = try await Self.run(
            ["refusals", "--port", String(cluster.httpPort), "--token", try await TestTokens.access("dave")], in: cluster)
        #expect(result["exception"] == nil, "\(result)")
        let bad = Self.dict(result["bad_token"])
        let badMessage = (bad["connect_errors"] as? [[String: Any]])?.first?["message"] as? String
        #expect(badMessage?.contains("invalid_token") == true, "\(result)")
        let other = Self.dict(result["other_namespace"])
        let otherMessage = (other["connect_errors"] as? [[String: Any]])?.first?["message"] as? String
        #expect(otherMessage?.contains("namespace") == true, "\(result)")
        #expect(result["accepted"] as? Int == 10)
        let eleventh = Self.dict(result["eleventh"])
        #expect(eleventh["index"] as? Int == 10)
        let limitMessage = (eleventh["connect_errors"] as? [[String: Any]])?.first?["message"] as? String
        #expect(limitMessage?.contains("too_many_connections") == true, "\(result)")
    }
}
