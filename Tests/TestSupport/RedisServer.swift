import Foundation
import ServiceKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real redis-server in a temporary directory, for tests.
///
/// Integration tests need the real thing (persistence, restarts, pub/sub, Lua), not a fake. Each instance
/// gets its own free port and directory, so suites can run side by side; `kill9()` and `restart()` let
/// tests exercise crash recovery against the same port and data. Always `stop()` it in a `defer`; `deinit`
/// stops it too as a safety net.
public final class RedisServer: Sendable {
    public let host: String = "127.0.0.1"
    public let port: Int
    /// The server's working directory (AOF files, `redis.log`); removed by `stop()`.
    public let directory: URL
    /// `redis://127.0.0.1:PORT`.
    public var url: String { "redis://\(host):\(port)" }

    private let executable: String
    private let arguments: [String]
    private let state = Mutex(State())

    private struct State {
        var child: ChildProcess?
        var stopped = false
    }

    /// Why a server could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private init(executable: String, port: Int, directory: URL, arguments: [String]) {
        self.executable = executable
        self.port = port
        self.directory = directory
        self.arguments = arguments
    }

    deinit {
        stop()
    }

    /// Starts `redis-server` on a free port (or `port`) in a fresh temporary directory and waits up to 10 s for PING.
    /// Throws with the server's log if it does not come up. `extraArguments` are appended to the command line.
    public static func start(appendOnly: Bool = true, port: Int? = nil, extraArguments: [String] = []) async throws -> RedisServer {
        let executable = try ProcessGroup.redisServer()
        let port = try port ?? FreePort.allocate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let arguments =
            [
                "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path, "--save", "",
                "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "everysec", "--daemonize", "no",
                "--enable-debug-command", "yes", "--logfile", "",
            ] + extraArguments
        let server = RedisServer(executable: executable, port: port, directory: directory, arguments: arguments)
        do {
            try await server.launch()
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Kills the server with SIGKILL (no shutdown, no final fsync) and waits until it is gone.
    public func kill9() {
        let child = state.withLock { state in
            defer { state.child = nil }
            return state.child
        }
        child?.kill9()
    }

    /// Starts the server again on the same port and directory (it reloads the AOF) and waits for PING.
    /// Kills a still-running instance first.
    public func restart() async throws {
        kill9()
        try await launch()
    }

    /// SIGTERM, then SIGKILL after 5 s, then removes the directory. Idempotent.
    public func stop() {
        let child = state.withLock { state -> ChildProcess? in
            state.stopped = true
            defer { state.child = nil }
            return state.child
        }
        if let child {
            child.signal(SIGTERM)
            if !child.waitForExit(timeout: .seconds(5)) { child.kill9() }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's log so far (stdout and stderr), for failure messages.
    public func log() -> String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    private var logURL: URL { directory.appendingPathComponent("redis.log") }

    private func launch() async throws {
        let child = try state.withLock { state in
            if state.stopped { throw StartError(description: "redis-server on port \(port) was stopped") }
            if state.child != nil { throw StartError(description: "redis-server on port \(port) is already running") }
            let child = try spawn()
            state.child = child
            return child
        }
        do {
            try await ProcessGroup.waitForRedis(port: port, child: child, timeout: .seconds(10)) { log() }
        } catch {
            // An exited server is forgotten (so `restart` can launch again); a silent one stays for `stop` to kill.
            if child.exitStatus != nil { state.withLock { if $0.child === child { $0.child = nil } } }
            throw StartError(description: "\(error)")
        }
    }

    /// One PING with 1 s timeouts: true only for `+PONG` (kept for the other redis launchers of TestSupport).
    static func ping(port: Int) -> Bool { ProcessGroup.redisAnswersPing(port: port) }

    /// Spawns redis-server with output appended to `redis.log` (as a `ChildProcess`, so SIGTERM reaches it).
    private func spawn() throws -> ChildProcess {
        try ChildProcess(
            executable: executable,
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment,
            outputPath: logURL.path
        )
    }
}
