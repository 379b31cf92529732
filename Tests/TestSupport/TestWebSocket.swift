import Foundation
import HTTPTypes
import Logging
import NIOWebSocket
import Synchronization
import WSClient

/// A real WebSocket client for tests (swift-websocket's client), with a pull-style API: send, wait for the next frame
/// with a timeout, close, read the close code.
public final class TestWebSocket: Sendable {
    private enum Command: Sendable {
        case send(String)
        case close
    }

    private struct State {
        var frames: [String] = []
        var finished = false
        var closeCode: Int?
        var closeReason: String?
        var connected = false
        var error: String?
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared = Shared()
    private let commands: AsyncStream<Command>.Continuation
    private let task: Task<Void, Never>

    private init(url: String, headers: [String: String]) {
        let (stream, continuation) = AsyncStream<Command>.makeStream()
        commands = continuation
        let shared = self.shared
        task = Task {
            var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 24)
            for (name, value) in headers {
                if let field = HTTPField.Name(name) { configuration.additionalHeaders[field] = value }
            }
            do {
                let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test-ws")) {
                    inbound, outbound, _ in
                    shared.state.withLock { $0.connected = true }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await message in inbound.messages(maxSize: 1 << 24) {
                                if case .text(let text) = message { shared.state.withLock { $0.frames.append(text) } }
                            }
                        }
                        group.addTask {
                            for await command in stream {
                                switch command {
                                case .send(let text): try await outbound.write(.text(text))
                                case .close:
                                    try await outbound.close(.normalClosure, reason: "test done")
                                    return
                                }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
                shared.state.withLock {
                    $0.closeCode = close.map { Self.number(of: $0.closeCode) }
                    $0.closeReason = close?.reason
                }
            } catch {
                shared.state.withLock { $0.error = "\(error)" }
            }
            shared.state.withLock { $0.finished = true }
        }
    }

    /// Connects and waits (≤ `timeout`) for the upgrade; throws when the server refuses it.
    public static func connect(
        port: Int,
        path: String = "/ws",
        token: String? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(5)
    ) async throws -> TestWebSocket {
        var url = "ws://127.0.0.1:\(port)\(path)"
        if let token { url += (path.contains("?") ? "&" : "?") + "token=\(token)" }
        let socket = TestWebSocket(url: url, headers: headers)
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let (connected, finished, error) = socket.shared.state.withLock { ($0.connected, $0.finished, $0.error) }
            if connected { return socket }
            if finished { throw HarnessError("WebSocket \(path) refused: \(error ?? "closed")") }
            try await Task.sleep(for: .milliseconds(5))
        }
        socket.task.cancel()
        throw HarnessError("WebSocket \(path) did not connect within \(timeout)")
    }

    public func send(_ text: String) {
        commands.yield(.send(text))
    }

    public func send(json object: [String: Any]) throws {
        send(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// The next text frame, or nil when the connection closed first or `timeout` passed.
    public func next(timeout: Duration = .seconds(5)) async -> String? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let (frame, finished): (String?, Bool) = shared.state.withLock { state in
                if !state.frames.isEmpty { return (state.frames.removeFirst(), false) }
                return (nil, state.finished)
            }
            if let frame { return frame }
            if finished { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    /// The next frame of `type` (others are skipped), decoded; nil on close or timeout.
    public func next(type: String, timeout: Duration = .seconds(5)) async -> [String: Any]? {
        let end = ContinuousClock.now + timeout
        while true {
            let remaining = end - ContinuousClock.now
            guard remaining > .zero, let text = await next(timeout: remaining) else { return nil }
            if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], object["type"] as? String == type {
                return object
            }
        }
    }

    /// Frames received but not yet taken.
    public var pending: [String] { shared.state.withLock { $0.frames } }

    public func drain() -> [String] {
        shared.state.withLock { state in
            defer { state.frames.removeAll() }
            return state.frames
        }
    }

    public var isClosed: Bool { shared.state.withLock { $0.finished } }

    /// Waits (≤ `timeout`) for the connection to end and returns the server's close code, if it sent one.
    public func closeCode(timeout: Duration = .seconds(5)) async -> Int? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let (finished, code) = shared.state.withLock { ($0.finished, $0.closeCode) }
            if finished { return code }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    public func close() async {
        commands.yield(.close)
        commands.finish()
        let end = ContinuousClock.now + .seconds(3)
        while !isClosed && ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
    }

    static func number(of code: WebSocketErrorCode) -> Int {
        switch code {
        case .normalClosure: 1000
        case .goingAway: 1001
        case .protocolError: 1002
        case .unacceptableData: 1003
        case .dataInconsistentWithMessage: 1007
        case .policyViolation: 1008
        case .messageTooLarge: 1009
        case .missingExtension: 1010
        case .unexpectedServerError: 1011
        case .unknown(let value): Int(value)
        }
    }

    deinit {
        commands.finish()
        task.cancel()
    }
}
