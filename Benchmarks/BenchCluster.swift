import AuthTokens
import ClientKit
import Foundation
import OpenSSLCrypto
import Redis
import ServiceKit

/// The real processes a benchmark measures: a redis-server and any of the built executables, on free ports in a
/// temporary run dir, killed when the benchmark ends however it ends.
final class BenchCluster {
    let binaries: String
    let runDirectory: String
    let httpPort: Int
    let redisPort: Int
    private let processes: ProcessGroup
    var extraEnvironment: [String: String]
    /// A fresh JWT secret for this run's processes; benchmarks sign their tokens with it.
    let jwtSecret = Hex.encode(SecureRandom.bytes(32), uppercase: false)

    init(binaries: String, environment: [String: String] = [:]) throws {
        self.binaries = binaries
        runDirectory = "/tmp/sbbench-\(UUID().uuidString.prefix(8))"
        processes = try ProcessGroup(runDirectory: runDirectory)
        httpPort = try FreePort.allocate()
        redisPort = try FreePort.allocate()
        extraEnvironment = environment
    }

    /// The directory of this benchmark's own executable, where the service binaries are built too.
    static var defaultBinaries: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_RUN_DIR"] = runDirectory
        environment["SWITCHBOARD_REDIS_URL"] = "redis://127.0.0.1:\(redisPort)"
        environment["SWITCHBOARD_HTTP_HOST"] = "127.0.0.1"
        environment["SWITCHBOARD_HTTP_PORT"] = String(httpPort)
        environment["SWITCHBOARD_LOG_LEVEL"] = "warning"
        environment["SWITCHBOARD_JWT_SECRET"] = jwtSecret
        // Every benchmark client is one IP (127.0.0.1): the per-IP defensive limits would measure themselves.
        environment["SWITCHBOARD_EDGE_MAX_CONNECTIONS"] = "1000000"
        environment["SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP"] = "1000000"
        environment["SWITCHBOARD_GETCODE_RATE_PER_SECOND"] = "0"
        for (key, value) in extraEnvironment { environment[key] = value }
        return environment
    }

    func startRedis() async throws -> RedisClient {
        try await processes.startRedis(port: redisPort, arguments: ["--save", "", "--appendonly", "no"])
        return RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: redisPort))
    }

    func start(_ name: String, environment overrides: [String: String] = [:]) throws {
        var environment = self.environment
        for (key, value) in overrides { environment[key] = value }
        try processes.start(name, executable: "\(binaries)/\(name)", environment: environment)
    }

    /// Waits until the edge's /health is 200.
    func waitForHealth(timeout: Duration = .seconds(30)) async throws {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let status = RawSocket.http(port: httpPort, "GET", "/health")?.status, status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchFailure("/health did not turn green; logs in \(runDirectory)")
    }

    func pid(_ name: String) -> Int32? { processes.process(name)?.pid }

    /// CPU seconds (user + system) the named processes used so far.
    func cpuSeconds(_ names: [String]) -> Double {
        names.compactMap { pid($0) }.map(ProcessStats.cpuSeconds).reduce(0, +)
    }

    func stopAll() {
        processes.stopAll()
        try? FileManager.default.removeItem(atPath: runDirectory)
    }

    deinit { stopAll() }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// CPU time and memory of a process, from /proc.
enum ProcessStats {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// Resident set size in bytes.
    static func rss(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let number = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return number * 1024
        }
        return 0
    }
}

extension BenchCluster {
    /// Hour-long viewer access tokens for `user0` … `user<users-1>`, signed with this cluster's secret.
    func viewerTokens(users: Int) async throws -> [String] {
        let authority = await TokenAuthority(secret: jwtSecret)
        var tokens: [String] = []
        for index in 0..<max(1, users) {
            tokens.append(try await authority.issueAccess(user: "user\(index)", roles: ["viewer"], lifetime: .seconds(3600)).token)
        }
        return tokens
    }
}
