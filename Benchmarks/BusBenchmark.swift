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

    enum Bench: RPCMethod {
        struct Params: Codable, Sendable { var n: Int }
        struct Result: Codable, Sendable { var n: Int }
        static let name = "bench.echo"
    }

    func run() async throws {
        let directory = "/tmp/sbbench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let endpoint = "ipc://\(directory)/bench.sock"
        let server = try RPCServer(endpoint: endpoint)
        server.register(Bench.self) { params, _ in Bench.Result(n: params.n) }
        let serving = Task { await server.run() }
        defer {
            server.shutdown()
            serving.cancel()
        }
        let client = try RPCClient(service: "bench", endpoint: endpoint)
        defer { client.shutdown() }
        guard await client.waitForConnection(timeout: .seconds(5)) else { throw ValidationError("bench client did not connect") }

        print("bus: RPC round trips over ipc:// (one DEALER, one ROUTER, JSON envelopes), \(requests) requests × \(runs) runs")
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
