import Foundation
import ServiceKit
import Synchronization

/// The real processes one test, benchmark or chaos run starts: each by name, logging to `<run dir>/<name>.log`, with
/// its own environment, and all killed by `stopAll()` however the run ends. The test `Cluster`, the benchmarks'
/// `BenchCluster` and `BenchSystem` and the chaos run's `ChaosCluster` each decide *what* to start (and with which
/// settings); this is *how*, once.
///
/// Children are `ChildProcess`es (posix_spawn with a clean signal mask), so a SIGTERM sent to them is honoured.
public final class ProcessGroup: Sendable {
    /// A process could not be started, or did not come up.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public let runDirectory: String
    private let processes = Mutex<[String: ChildProcess]>([:])

    /// Creates `runDirectory` (and its parents).
    public init(runDirectory: String) throws {
        self.runDirectory = runDirectory
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
    }

    public func logPath(_ name: String) -> String { "\(runDirectory)/\(name).log" }

    /// The output of `name` so far.
    public func log(_ name: String) -> String {
        (try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? ""
    }

    /// Starts `executable` (a path) as `name` with exactly `environment`, replacing a process of that name that is no
    /// longer wanted (the old one keeps running until stopped; callers kill it first when they restart).
    /// `holdingStopSignals` only for Switchboard executables (see `ChildProcess`).
    @discardableResult
    public func start(
        _ name: String,
        executable: String,
        arguments: [String] = [],
        environment: [String: String],
        holdingStopSignals: Bool = false
    ) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure("\(executable) is missing: build first (`swift build`, or `make build` / `make release`)")
        }
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, outputPath: logPath(name),
            holdingStopSignals: holdingStopSignals)
        processes.withLock { $0[name] = child }
        return child
    }

    public func process(_ name: String) -> ChildProcess? { processes.withLock { $0[name] } }

    public var names: [String] { processes.withLock { $0.keys.sorted() } }

    public func kill9(_ name: String) { process(name)?.kill9() }

    /// SIGTERM, then SIGKILL after `grace`; forgets the process. Its exit status, or nil when it had to be killed.
    @discardableResult
    public func stop(_ name: String, grace: Duration = .seconds(5)) async -> Int32? {
        guard let child = processes.withLock({ $0.removeValue(forKey: name) }) else { return nil }
        return await child.terminate(grace: grace)
    }

    /// SIGKILL to every process, then waits for each (bounded); forgets them all.
    public func stopAll() {
        let children = processes.withLock { processes in
            defer { processes = [:] }
            return Array(processes.values)
        }
        for child in children { child.signal(SIGKILL) }
        for child in children { child.waitForExit(timeout: .seconds(10)) }
    }

    // MARK: redis-server

    /// redis-server from `PATH`, else the usual Debian places.
    public static func redisServer() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("redis-server not found in PATH or /usr/bin (apt-get install redis-server)")
        }
        return found
    }

    /// Starts redis-server as `name` on 127.0.0.1:`port` in `directory` (default: the run dir) with `arguments` added,
    /// and waits until it answers PING; throws with its log if it exits or stays silent for `timeout`.
    @discardableResult
    public func startRedis(
        _ name: String = "redis",
        port: Int,
        directory: String? = nil,
        arguments: [String] = [],
        timeout: Duration = .seconds(10)
    ) async throws -> ChildProcess {
        let child = try start(
            name, executable: Self.redisServer(),
            arguments: ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory ?? runDirectory, "--daemonize", "no"] + arguments,
            environment: ProcessInfo.processInfo.environment)
        try await Self.waitForRedis(port: port, child: child, timeout: timeout) { self.log(name) }
        return child
    }

    /// Polls PING until `+PONG`, failing early when `child` exits.
    public static func waitForRedis(port: Int, child: ChildProcess, timeout: Duration, log: () -> String) async throws {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let status = child.exitStatus {
                throw Failure("redis-server on port \(port) exited (wait status \(status)):\n\(log())")
            }
            if redisAnswersPing(port: port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure("redis-server on port \(port) did not answer PING within \(timeout):\n\(log())")
    }

    /// One PING over a raw socket with 1 s timeouts: true only for `+PONG` (not `-LOADING`).
    public static func redisAnswersPing(port: Int) -> Bool {
        guard let fd = try? RawSocket.connect(port: port, timeout: .seconds(1)) else { return false }
        defer { close(fd) }
        guard RawSocket.sendAll(fd, Array("PING\r\n".utf8)) else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count >= 5 && buffer.prefix(5) == Array("+PONG".utf8)[...]
    }
}
