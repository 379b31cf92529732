import ClientKit
import Foundation
import Logging
import OpenSSLCrypto
import Redis
import ServiceKit

/// The real system the chaos run breaks: a redis-server with an AOF (restartable on the same port and data), the four
/// backing services, two edges sharing one port (`SWITCHBOARD_EDGE_REUSEPORT=1`) and signer-sim as the signer's
/// upstream, all in a temporary run dir. Every process is killed when the run ends, however it ends.
final class ChaosCluster {
    static let services = ["auth", "menu", "scheduler", "signer"]
    static let edges = ["edge-a", "edge-b"]

    let binaries: String
    let runDirectory: String
    let httpPort: Int
    let redisPort: Int
    let simPort: Int
    let fsync: String
    private let processes: ProcessGroup
    /// A fresh JWT secret for this run's processes; the load clients sign their tokens with it.
    let jwtSecret = Hex.encode(SecureRandom.bytes(32), uppercase: false)

    init(binaries: String, fsync: String) throws {
        self.binaries = binaries
        self.fsync = fsync
        runDirectory = "/tmp/sbchaos-\(UUID().uuidString.prefix(8))"
        processes = try ProcessGroup(runDirectory: runDirectory)
        try FileManager.default.createDirectory(atPath: "\(runDirectory)/redis", withIntermediateDirectories: true)
        httpPort = try FreePort.allocate()
        redisPort = try FreePort.allocate()
        simPort = try FreePort.allocate()
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let settings = [
            "SWITCHBOARD_RUN_DIR": runDirectory,
            "SWITCHBOARD_REDIS_URL": "redis://127.0.0.1:\(redisPort)",
            "SWITCHBOARD_HTTP_HOST": "127.0.0.1",
            "SWITCHBOARD_HTTP_PORT": String(httpPort),
            "SWITCHBOARD_EDGE_REUSEPORT": "1",
            "SWITCHBOARD_LOG_LEVEL": environment["SWITCHBOARD_CHAOS_LOG_LEVEL"] ?? "warning",
            "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "100000",
            "SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP": "100000",
            "SWITCHBOARD_GETCODE_RATE_PER_SECOND": "0",
            "SWITCHBOARD_JWT_SECRET": jwtSecret,
            "SWITCHBOARD_MESSAGE_RATE": "100000",
            "SWITCHBOARD_MESSAGE_BURST": "100000",
            "SWITCHBOARD_LOGIN_RATE_PER_MIN": "0",
            "SWITCHBOARD_REGISTER_RATE_PER_MIN": "0",
            "SWITCHBOARD_PBKDF2_ITERATIONS": "10000",
            "SWITCHBOARD_SIGNER_UPSTREAM": "ws://127.0.0.1:\(simPort)/",
        ]
        for (key, value) in settings { environment[key] = value }
        return environment
    }

    func logPath(_ name: String) -> String { processes.logPath(name) }

    // MARK: Redis

    /// Starts redis-server on `redisPort` (again, after a kill: it replays the AOF) and waits until it answers PING.
    func startRedis() async throws {
        try await processes.startRedis(
            port: redisPort, directory: "\(runDirectory)/redis", arguments: ["--save", "", "--appendonly", "yes", "--appendfsync", fsync],
            timeout: .seconds(20))
    }

    /// A client of the run's Redis that logs only errors: its reconnect warnings while Redis is down are expected here.
    func redisClient() -> RedisClient {
        var logger = Logger(label: "chaos-redis")
        logger.logLevel = .critical
        return RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: redisPort), logger: logger)
    }

    // MARK: Processes

    /// Starts a service, an edge (`edge-a`, `edge-b`: `ws-edge` with its own id) or signer-sim.
    func start(_ name: String) throws {
        var environment = self.environment
        var executable = name
        var arguments: [String] = []
        if Self.edges.contains(name) {
            executable = "ws-edge"
            environment["SWITCHBOARD_EDGE_ID"] = name
        } else if name == "signer-sim" {
            arguments = ["--port", String(simPort), "--data-dir", "\(runDirectory)/signer-sim", "--key-bits", "1024"]
        }
        try processes.start(name, executable: "\(binaries)/\(executable)", arguments: arguments, environment: environment)
    }

    func kill9(_ name: String) {
        processes.kill9(name)
    }

    func isRunning(_ name: String) -> Bool { processes.process(name)?.isRunning == true }

    /// Every process that should be running and is not (it crashed), with the tail of its log.
    func crashed(except stopped: Set<String> = []) -> [String] {
        processes.names.filter { !stopped.contains($0) && !isRunning($0) }.map { name in
            "\(name) exited (\(processes.process(name)?.exitStatus.map(String.init) ?? "?")): \(processes.log(name).suffix(600))"
        }
    }

    func stopAll(keepLogs: Bool) {
        processes.stopAll()
        if !keepLogs { try? FileManager.default.removeItem(atPath: runDirectory) }
    }

    deinit { stopAll(keepLogs: true) }
}

/// Why the chaos run could not go on (setup failed); assertion failures are collected in the report instead.
struct ChaosFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
