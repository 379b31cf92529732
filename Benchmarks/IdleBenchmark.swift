import ArgumentParser
import ClientKit
import Foundation

/// Many idle authenticated WebSocket connections on one edge: upgrades/s (JWT check + auth's per-IP policy), and the
/// edge's resident memory per connection. With `--deflate` every connection negotiates permessage-deflate (idle ones
/// must cost no more: the inflate state is made on a client's first compressed message).
struct IdleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "Idle authenticated connections: upgrades/s and RSS per connection.")

    @Option(help: "Connections to open.") var connections = 20_000
    @Option(help: "Distinct users the tokens are for.") var users = 100
    @Flag(help: "Every connection offers permessage-deflate, as a browser does.") var deflate = false
    @Option(help: "Directory of the built executables.") var binaries = BenchCluster.defaultBinaries

    func run() async throws {
        let limit = FileLimits.raise(to: connections + 1024)
        let target = min(connections, limit - 512)
        if target < connections { print("idle: the descriptor limit is \(limit); opening \(target) connections") }
        let cluster = try BenchCluster(binaries: binaries, environment: ["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "1000000"])
        defer { cluster.stopAll() }
        let redis = try await cluster.startRedis()
        defer { redis.shutdown() }
        for name in ["scheduler", "auth", "menu", "signer", "ws-edge"] { try cluster.start(name) }
        try await cluster.waitForHealth()

        let tokens = try await cluster.viewerTokens(users: users)
        guard let edge = cluster.pid("ws-edge") else { throw BenchFailure("no edge") }
        // A few connections first, so the baseline includes what the first connection allocates once.
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for index in 0..<10 { sockets.append(try open("/ws?token=\(tokens[index % users])", port: cluster.httpPort)) }
        try await Task.sleep(for: .milliseconds(500))
        let baseline = ProcessStats.rss(edge)
        let cpuBefore = cluster.cpuSeconds(["ws-edge", "auth", "redis"])
        let start = ContinuousClock.now
        for index in 10..<target {
            sockets.append(try open("/ws?token=\(tokens[index % users])", port: cluster.httpPort))
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let cpu = cluster.cpuSeconds(["ws-edge", "auth", "redis"]) - cpuBefore
        try await Task.sleep(for: .seconds(3))
        let after = ProcessStats.rss(edge)
        let opened = target - 10
        print(
            "idle: \(target) authenticated connections on one edge (tokens for \(users) users, one client thread, sequential handshakes\(deflate ? ", permessage-deflate negotiated" : ""))"
        )
        print(
            "  upgrades: \(format(Double(opened) / elapsed)) /s with JWT check (cached) + local per-IP admission + the connected event (\(format(cpu / elapsed, 2)) server cores: edge + auth + redis)"
        )
        print(
            "  edge RSS: \(after / 1_048_576) MiB with \(target) connections, baseline \(baseline / 1_048_576) MiB → \(format(Double(after - baseline) / Double(opened) / 1024, 2)) KiB per connection"
        )
    }

    private func open(_ path: String, port: Int) throws -> Int32 {
        deflate ? try DeflateClient.openWebSocket(port: port, path: path) : try RawSocket.openWebSocket(port: port, path: path)
    }
}

/// The process's open-file limit, raised as far as allowed (root may raise the hard limit too).
enum FileLimits {
    static func raise(to wanted: Int) -> Int {
        var limits = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        if Int(limits.rlim_max) < wanted {
            var raised = rlimit(rlim_cur: rlim_t(wanted), rlim_max: rlim_t(wanted))
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return wanted }
        }
        limits.rlim_cur = min(limits.rlim_max, rlim_t(wanted))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
        return Int(limits.rlim_cur)
    }
}
