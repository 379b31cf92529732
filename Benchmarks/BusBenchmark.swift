import ArgumentParser
import Bus
import Foundation
import SwitchboardProtocol

/// RPC round trips over a real ipc:// DEALER → ROUTER pair, as the edge uses them: many requests in flight on one socket.
struct BusBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bus", abstract: "RPC requests/s over ipc:// at several in-flight windows.")

    @Option(help: "Requests per run.") var requests = 50_000
    @Option(help: "Runs per window; the median is reported.") var runs = 5
    @Option(parsing: .upToNextOption, help: "In-flight windows to measure.") var inFlight: [Int] = [1, 16, 64, 256]
    @Option(help: "ipc, tcp (loopback, SWITCHBOARD_BUS_INSECURE) or curve (loopback with fresh CURVE keys).") var transport = "ipc"

    enum Bench: RPCMethod {
        struct Params: Codable, Sendable { var n: Int }
        struct Result: Codable, Sendable { var n: Int }
        static let name = "bench.echo"
    }

    func run() async throws {
        let directory = "/tmp/sbbench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let endpoint = try prepare(transport, in: directory)
        let server = try RPCServer(endpoint: endpoint)
        server.register(Bench.self) { params, _ in Bench.Result(n: params.n) }
        let serving = Task { await server.run() }
        defer {
            server.shutdown()
            serving.cancel()
        }
        let client = try RPCClient(service: "switchboard-bench", endpoint: endpoint)
        defer { client.shutdown() }
        guard await client.waitForConnection(timeout: .seconds(5)) else { throw ValidationError("bench client did not connect") }

        print("bus: RPC round trips over \(endpoint) (\(transport); one DEALER, one ROUTER, JSON envelopes), \(requests) requests × \(runs) runs")
        print("in-flight  median req/s     min      max")
        var baseline: Double?
        for window in inFlight {
            var samples = Samples()
            for _ in 0..<runs {
                let count = window == 1 ? max(requests / 10, 1000) : requests
                samples.add(try await measure(client: client, requests: count, window: window))
            }
            baseline = baseline ?? samples.median
            let ratio = samples.median / (baseline ?? 1)
            print(
                "\(String(window).padding(toLength: 9, withPad: " ", startingAt: 0))  \(format(samples.median).padding(toLength: 11, withPad: " ", startingAt: 0))  \(format(samples.min))  \(format(samples.max))   ×\(format(ratio, 1)) vs in-flight \(inFlight.first ?? 1)"
            )
        }
    }

    /// The endpoint for `transport`; for tcp and curve it sets the bus variables before the first socket reads them.
    private func prepare(_ transport: String, in directory: String) throws -> String {
        switch transport {
        case "ipc":
            return "ipc://\(directory)/bench.sock"
        case "tcp":
            setenv("SWITCHBOARD_BUS_KEYS_DIR", "\(directory)/no-keys", 1)
            setenv("SWITCHBOARD_BUS_INSECURE", "1", 1)
        case "curve":
            // This process is server and client: one pair each under its own kind's name.
            try BusKeyDirectory(path: "\(directory)/keys").generateMissing(servers: ["switchboard-bench"], clients: ["switchboard-bench"])
            setenv("SWITCHBOARD_BUS_KEYS_DIR", "\(directory)/keys", 1)
            setenv("SWITCHBOARD_BUS_KIND", "switchboard-bench", 1)
        default:
            throw ValidationError("--transport is ipc, tcp or curve")
        }
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return "tcp://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    private func measure(client: RPCClient, requests: Int, window: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            let perWorker = requests / window
            for worker in 0..<window {
                group.addTask {
                    for index in 0..<perWorker {
                        let n = worker &* 1_000_000 &+ index
                        let reply = try await client.call(Bench.self, .init(n: n))
                        guard reply.n == n else { throw ValidationError("cross-talk: sent \(n), got \(reply.n)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(requests / window * window) / start.duration(to: .now).seconds
    }
}
