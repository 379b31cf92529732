import Foundation
import ServiceKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real redis-sentinel on a free port, watching one master, for failover tests.
///
/// Sentinel rewrites its configuration file, so each instance gets its own directory. The timeouts are short
/// (`downAfter`, `failoverTimeout`) so a test sees a failover within a few seconds; always `stop()` it in a `defer`.
public final class RedisSentinel: Sendable {
    public let port: Int
    public let directory: URL
    private let child: Mutex<ChildProcess?>

    private init(port: Int, directory: URL, child: ChildProcess) {
        self.port = port
        self.directory = directory
        self.child = Mutex(child)
    }

    deinit { stop() }

    /// Starts a Sentinel monitoring `127.0.0.1:masterPort` as `masterName` with quorum `quorum`, and waits up to 10 s for it.
    public static func start(
        masterName: String, masterPort: Int, quorum: Int = 2, downAfter: Duration = .milliseconds(1000),
        failoverTimeout: Duration = .seconds(3)
    ) async throws -> RedisSentinel {
        let port = try FreePort.allocate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-test-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = """
            port \(port)
            bind 127.0.0.1
            daemonize no
            dir \(directory.path)
            sentinel monitor \(masterName) 127.0.0.1 \(masterPort) \(quorum)
            sentinel down-after-milliseconds \(masterName) \(milliseconds(downAfter))
            sentinel failover-timeout \(masterName) \(milliseconds(failoverTimeout))
            sentinel parallel-syncs \(masterName) 1

            """
        let file = directory.appendingPathComponent("sentinel.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        let executable = ["/usr/bin/redis-sentinel", "/usr/local/bin/redis-sentinel"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let executable else { throw RedisServer.StartError(description: "redis-sentinel not found (apt-get install redis-sentinel)") }
        let child = try ChildProcess(
            executable: executable, arguments: [file.path], environment: ProcessInfo.processInfo.environment,
            outputPath: directory.appendingPathComponent("sentinel.log").path)
        let sentinel = RedisSentinel(port: port, directory: directory, child: child)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while clock.now < deadline {
            if RedisServer.ping(port: port) { return sentinel }
            if !child.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = sentinel.log()
        sentinel.stop()
        throw RedisServer.StartError(description: "redis-sentinel on port \(port) did not come up:\n\(log)")
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let parts = duration.components
        return Int(parts.seconds) * 1000 + Int(parts.attoseconds / 1_000_000_000_000_000)
    }

    /// The Sentinel's log so far.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("sentinel.log"), encoding: .utf8)) ?? ""
    }

    /// SIGTERM (SIGKILL after 5 s), then removes the directory. Idempotent.
    public func stop() {
        let running = child.withLock { child in
            defer { child = nil }
            return child
        }
        if let running {
            running.signal(SIGTERM)
            if !running.waitForExit(timeout: .seconds(5)) { running.kill9() }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
