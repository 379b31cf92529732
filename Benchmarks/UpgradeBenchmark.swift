import ArgumentParser
import ClientKit
import Foundation
import Synchronization

/// Authenticated upgrades per server CPU-second: C client threads each open a `/ws` connection with a token, wait for
/// the 101, close it, and open the next. The server is every process an upgrade touches (edge, auth, scheduler for the
/// `connected` event, Redis), so the figure is what one connection's admission costs the whole system.
struct UpgradeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade", abstract: "Authenticated WebSocket upgrades: per second and per server CPU-second.")

    @Option(help: "Client threads, each with one handshake in flight.") var clients = 8
    @Option(help: "Seconds to run.") var seconds = 5.0
    @Option(help: "Distinct users the tokens are for.") var users = 100
    @Option(help: "Directory of the built executables.") var binaries = BenchCluster.defaultBinaries

    func run() async throws {
        let cluster = try BenchCluster(binaries: binaries, environment: ["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "1000000"])
        defer { cluster.stopAll() }
        let redis = try await cluster.startRedis()
        defer { redis.shutdown() }
        for name in ["scheduler", "auth", "menu", "signer", "ws-edge"] { try cluster.start(name) }
        try await cluster.waitForHealth()

        let tokens = try await cluster.viewerTokens(users: users)
        let port = cluster.httpPort
        let servers = ["ws-edge", "auth", "scheduler", "redis"]
        let cpuBefore = cluster.cpuSeconds(servers)
        let splitBefore = servers.map { cluster.cpuSeconds([$0]) }
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        let upgrades = SharedCount()
        let failures = SharedCount()
        let list = tokens
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<max(1, clients) {
                group.addTask {
                    var index = client
                    while ContinuousClock.now < deadline {
                        index += 1
                        do {
                            let fd = try RawSocket.openWebSocket(port: port, path: "/ws?token=\(list[index % list.count])", timeout: .seconds(5))
                            close(fd)
                            upgrades.value.add(1, ordering: .relaxed)
                        } catch {
                            failures.value.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        // The disconnect events are part of the cost; let them finish before reading the CPU.
        try await Task.sleep(for: .milliseconds(500))
        let cpu = cluster.cpuSeconds(servers) - cpuBefore
        let done = upgrades.value.load(ordering: .relaxed)
        let split = zip(servers, splitBefore).map { name, before in
            "\(name) \(format(done > 0 ? (cluster.cpuSeconds([name]) - before) / Double(done) * 1e6 : 0)) µs"
        }
        print("upgrade: \(clients) client threads, authenticated /ws upgrades opened and closed for \(format(seconds)) s")
        print(
            "  \(format(Double(done) / elapsed)) upgrades/s (\(failures.value.load(ordering: .relaxed)) failed), server \(format(cpu / elapsed, 2)) cores (edge + auth + scheduler + redis) → \(format(cpu > 0 ? Double(done) / cpu : 0)) upgrades per server CPU-second"
        )
        print("  server CPU per upgrade: \(split.joined(separator: ", "))")
    }
}

/// A count the client threads share.
final class SharedCount: Sendable {
    let value = Atomic<Int>(0)
}
