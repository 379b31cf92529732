import Foundation
import ServiceKit

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real Switchboard for one test: a real redis-server and any set of the real executables, on free ports, in a
/// temporary run dir. `shutdown()` (also run from `deinit`) kills everything it started, so a failing test leaves nothing.
/// At most `ClusterPermits.shared.count` clusters run at once; `start` waits for a turn.
public final class Cluster: @unchecked Sendable {
    // The harness is driven from one test task at a time; `@unchecked` because its table of processes is plain mutable state.
    public static let backingServices = ["scheduler", "auth", "menu", "signer"]

    public let redis: RedisServer
    public let runDirectory: String
    public let httpPort: Int
    public let binaries: String
    public let extraEnvironment: [String: String]
    private let processes: ProcessGroup
    private var isShutDown = false

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(httpPort)")! }

    /// Where the built executables are: `SWITCHBOARD_BIN_DIR`, else `.build/debug` of this package.
    public static var binaryDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["SWITCHBOARD_BIN_DIR"], !dir.isEmpty { return dir }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug").path
    }

    private init(redis: RedisServer, environment: [String: String]) throws {
        self.redis = redis
        runDirectory = "/tmp/sbrun-\(UUID().uuidString.prefix(8))"
        processes = try ProcessGroup(runDirectory: runDirectory)
        httpPort = try FreePort.allocate()
        binaries = Self.binaryDirectory
        extraEnvironment = environment
    }

    /// Starts Redis and the given processes (default: all five) and waits until `/health` is green when the edge is among them.
    public static func start(
        _ names: [String] = backingServices + ["ws-edge"],
        environment: [String: String] = [:],
        healthTimeout: Duration = .seconds(20)
    ) async throws -> Cluster {
        // Held from here until `shutdown()`, which gives it back exactly once (see `ClusterPermits`).
        try await ClusterPermits.shared.acquire()
        let redis: RedisServer
        let cluster: Cluster
        do {
            redis = try await RedisServer.start()
        } catch {
            ClusterPermits.shared.release()
            throw error
        }
        do {
            cluster = try Cluster(redis: redis, environment: environment)
        } catch {
            redis.stop()
            ClusterPermits.shared.release()
            throw error
        }
        do {
            for name in names { try cluster.start(name) }
            if names.contains("ws-edge") && Set(backingServices).isSubset(of: names) {
                try await cluster.waitForHealth(200, timeout: healthTimeout)
            }
        } catch {
            cluster.shutdown()
            throw error
        }
        return cluster
    }

    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_RUN_DIR"] = runDirectory
        environment["SWITCHBOARD_REDIS_URL"] = redis.url
        environment["SWITCHBOARD_HTTP_PORT"] = String(httpPort)
        environment["SWITCHBOARD_HTTP_HOST"] = "127.0.0.1"
        environment["SWITCHBOARD_LOG_LEVEL"] = environment["SWITCHBOARD_TEST_LOG_LEVEL"] ?? "info"
        environment["SWITCHBOARD_JWT_SECRET"] = TestSecrets.jwt
        for (key, value) in extraEnvironment { environment[key] = value }
        return environment
    }

    public func logPath(_ name: String) -> String { processes.logPath(name) }

    public func log(_ name: String) -> String { processes.log(name) }

    /// Starts (or restarts) one process; `name` is the executable, `as` names its instance (for a second edge).
    @discardableResult
    public func start(
        _ executable: String,
        as name: String? = nil,
        arguments: [String] = [],
        environment overrides: [String: String] = [:]
    ) throws -> ChildProcess {
        var environment = self.environment
        for (key, value) in overrides { environment[key] = value }
        // Every Switchboard executable unblocks SIGTERM/SIGINT in its first statement; until then a stop waits for it.
        return try processes.start(
            name ?? executable, executable: "\(binaries)/\(executable)", arguments: arguments, environment: environment, holdingStopSignals: true)
    }

    public func process(_ name: String) -> ChildProcess? { processes.process(name) }

    public func pid(_ name: String) -> Int32? { process(name)?.pid }

    public func kill9(_ name: String) {
        processes.kill9(name)
    }

    /// Sends SIGTERM and waits; returns the exit status, or nil when it had to be killed after `timeout`.
    public func terminate(_ name: String, timeout: Duration = .seconds(10)) async -> Int32? {
        await process(name)?.terminate(grace: timeout)
    }

    /// Runs an executable to completion (bounded by `timeout`) with the cluster's environment; returns its status and output.
    public func runToExit(
        _ executable: String,
        arguments: [String] = [],
        environment overrides: [String: String] = [:],
        timeout: Duration = .seconds(20)
    ) async throws -> (status: Int32, output: String) {
        var environment = self.environment
        for (key, value) in overrides { environment[key] = value }
        let outputPath = "\(runDirectory)/oneshot-\(UUID().uuidString.prefix(6)).out"
        let child = try ChildProcess(executable: "\(binaries)/\(executable)", arguments: arguments, environment: environment, outputPath: outputPath)
        let exited = await child.exited(within: timeout)
        if !exited { child.kill9() }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard exited, let status = child.exitStatus else {
            throw HarnessError("\(executable) \(arguments) did not exit within \(timeout): \(text)")
        }
        return (status, text)
    }

    // MARK: HTTP

    public struct HTTPAnswer: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        }
    }

    /// One HTTP request to the edge, bounded by `timeout`.
    public func http(
        _ method: String = "GET",
        _ path: String,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: TimeInterval = 5
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = timeout
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw HarnessError("not an HTTP response") }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: data)
    }

    /// Polls `/health` until it answers `status`; returns that answer or throws with the last one seen.
    @discardableResult
    public func waitForHealth(_ status: Int, timeout: Duration = .seconds(10), where condition: (HTTPAnswer) -> Bool = { _ in true })
        async throws -> HTTPAnswer
    {
        let end = ContinuousClock.now + timeout
        var last: String = "no answer"
        while ContinuousClock.now < end {
            if let answer = try? await http("GET", "/health", timeout: 2) {
                if answer.status == status && condition(answer) { return answer }
                last = "\(answer.status) \(answer.text)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("/health did not answer \(status) within \(timeout); last: \(last)\nedge log:\n\(log("ws-edge").suffix(2000))")
    }

    // MARK: Teardown

    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        processes.stopAll()
        redis.stop()
        if ProcessInfo.processInfo.environment["SWITCHBOARD_KEEP_TEST_RUN_DIR"] == nil {
            try? FileManager.default.removeItem(atPath: runDirectory)
        }
        ClusterPermits.shared.release()
    }

    deinit { shutdown() }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
