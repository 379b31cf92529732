import Foundation
import ServiceKit

/// Where a local run keeps its files and finds its binaries.
struct Layout: Sendable {
    let config: SwitchboardConfig
    let runDirectory: String
    let binaries: String

    init(config: SwitchboardConfig = SwitchboardConfig()) {
        self.config = config
        runDirectory = config.runDirectory
        // The service executables are built next to the launcher.
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        binaries = config.string("SWITCHBOARD_BIN_DIR", default: URL(fileURLWithPath: exe).deletingLastPathComponent().path)
    }

    var logs: String { "\(runDirectory)/logs" }
    var pids: String { "\(runDirectory)/pids" }
    var supervisorPIDFile: String { "\(runDirectory)/switchboard.pid" }
    var redisData: String { "\(runDirectory)/redis" }

    /// The launcher starts its own Redis unless `SWITCHBOARD_REDIS_URL` names one; its own listens on
    /// `SWITCHBOARD_LOCAL_REDIS_PORT` (default 6390, away from a system Redis on 6379).
    var externalRedisURL: String? { config.environment["SWITCHBOARD_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    var localRedisPort: Int { config.int("SWITCHBOARD_LOCAL_REDIS_PORT", default: 6390) }
    var redisURL: String { externalRedisURL ?? "redis://127.0.0.1:\(localRedisPort)" }

    var httpPort: Int { config.httpPort }
    /// Where `switchboard up` runs signer-sim (the e-port client's usual port).
    var signerSimPort: Int { config.int("SWITCHBOARD_SIGNER_SIM_PORT", default: 61232) }
    var healthURL: URL { URL(string: "http://127.0.0.1:\(httpPort)/health")! }

    func binary(_ name: String) -> String { "\(binaries)/\(name)" }
    func pidFile(_ name: String) -> String { "\(pids)/\(name).pid" }

    func prepare() throws {
        for directory in [runDirectory, logs, pids, redisData] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Sockets, locks and the bus keys live here: only this user may reach them.
        _ = chmod(runDirectory, 0o700)
    }
}

/// Small process helpers shared by the commands.
enum ProcessTools {
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static func readPID(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sends SIGTERM and waits up to `grace`; then SIGKILL. True when the process is gone.
    @discardableResult
    static func terminate(_ pid: Int32, grace: Duration = .seconds(10)) async -> Bool {
        guard isAlive(pid) else { return true }
        kill(pid, SIGTERM)
        let end = ContinuousClock.now + grace
        while ContinuousClock.now < end {
            if !isAlive(pid) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        try? await Task.sleep(for: .milliseconds(100))
        return !isAlive(pid)
    }
}
