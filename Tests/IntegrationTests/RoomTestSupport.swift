import Foundation
import TestSupport
import Testing

/// Helpers of the room and question tests: signed-in sockets, joins, chat, a second edge, frames by type.
enum RoomKit {
    /// A small presence TTL so a dead edge's members go within seconds; a high message rate so chat bursts pass.
    static let environment = [
        "SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS": "2",
        // Above the ~520 frames the flood test sends at once: the edge's local bucket admits at wire speed.
        "SWITCHBOARD_MESSAGE_RATE": "2000",
        "SWITCHBOARD_MESSAGE_BURST": "2000",
        "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "100",
    ]

    static func socket(_ port: Int, _ user: String, roles: [String] = ["viewer"]) async throws -> TestWebSocket {
        let socket = try await TestWebSocket.connect(port: port, token: try await TestTokens.access(user, roles: roles))
        _ = await socket.next(type: "connection_established")
        return socket
    }

    static func data(_ frame: [String: Any]?) -> [String: Any] {
        frame?["data"] as? [String: Any] ?? [:]
    }

    /// Sends `join_room` and returns the `room_joined` data, or the error frame's data (with `type` = `error`).
    static func join(_ socket: TestWebSocket, _ room: String, since: String? = nil, id: String = "j") async -> [String: Any] {
        var data: [String: Any] = ["room": room]
        if let since { data["since"] = since }
        try? socket.send(json: ["type": "join_room", "id": id, "data": data])
        return await reply(socket, "room_joined")
    }

    /// The next `type` frame or `error` frame (data, plus `type`).
    static func reply(_ socket: TestWebSocket, _ type: String, timeout: Duration = .seconds(5)) async -> [String: Any] {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            guard let text = await socket.next(timeout: end - .now) else { break }
            let frame = TestTokens.json(text)
            let frameType = frame["type"] as? String
            if frameType == type || frameType == "error" {
                var data = Self.data(frame)
                data["type"] = frameType
                return data
            }
        }
        return ["type": "timeout"]
    }

    static func chat(_ socket: TestWebSocket, _ room: String, _ content: String, id: String) throws {
        try socket.send(json: ["type": "chat_message", "id": id, "data": ["room": room, "content": content]])
    }

    /// The contents of the next `count` chat messages, in arrival order (fewer on timeout).
    static func chats(_ socket: TestWebSocket, count: Int, timeout: Duration = .seconds(5)) async -> [[String: Any]] {
        var messages: [[String: Any]] = []
        let end = ContinuousClock.now + timeout
        while messages.count < count, ContinuousClock.now < end {
            guard let frame = await socket.next(type: "chat_message", timeout: end - .now) else { break }
            messages.append(data(frame))
        }
        return messages
    }

    static func contents(_ messages: [[String: Any]]) -> [String] {
        messages.compactMap { $0["content"] as? String }
    }

    /// Starts a second edge on its own port, sharing the bus, and waits until it accepts WebSockets.
    static func startSecondEdge(_ cluster: Cluster) async throws -> Int {
        let port = try FreePort.allocate()
        try cluster.start("ws-edge", as: "ws-edge-2", environment: ["SWITCHBOARD_HTTP_PORT": "\(port)"])
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            if let probe = try? await TestWebSocket.connect(port: port, timeout: .seconds(1)) {
                await probe.close()
                return port
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("the second edge did not start:\n\(cluster.log("ws-edge-2").suffix(2000))")
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return await condition()
    }
}
