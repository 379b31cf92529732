import ArgumentParser
import Foundation
import Redis

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill Redis with telemetry (comsrv:{channel}:{type} hashes), and with --live keep changing it.",
        discussion: """
            Example: `switchboard seed --channels 20 --points 10 --live` writes channels 1001…1020 with T, S, C, A points \
            and updates them until Ctrl-C, so a dashboard subscribed to them shows moving values.
            """
    )

    @Option(help: "How many channels.") var channels = 10
    @Option(help: "First channel id.") var first = 1001
    @Option(help: "Data types to write (comma-separated from T,S,C,A).") var types = "T,S,C,A"
    @Option(help: "Points per hash.") var points = 10
    @Option(help: "Source prefix of the keys.") var source = "comsrv"
    @Flag(help: "Keep changing values until interrupted.") var live = false
    @Option(help: "With --live: rounds of updates per second.") var rate = 2.0
    @Option(help: "With --live: stop after this many seconds (0 = until interrupted).") var duration = 0.0

    func validate() throws {
        let kinds = types.split(separator: ",").map(String.init)
        guard !kinds.isEmpty, kinds.allSatisfy(["T", "S", "C", "A"].contains) else { throw ValidationError("--types takes T,S,C,A") }
        guard channels > 0, points > 0, first > 0 else { throw ValidationError("--channels, --points and --first must be positive") }
        guard rate > 0 else { throw ValidationError("--rate must be positive") }
    }

    func run() async throws {
        let layout = Layout()
        let redis = RedisClient(configuration: try RedisConfiguration(url: layout.redisURL))
        defer { redis.shutdown() }
        let kinds = types.split(separator: ",").map(String.init)
        let ids = Array(first..<(first + channels))
        var generator = SystemRandomNumberGenerator()
        try await write(redis, ids: ids, kinds: kinds, round: 0, generator: &generator)
        print(
            "seeded \(ids.count) channels × \(kinds.count) types × \(points) points into \(layout.redisURL) (keys \(source):{\(first)…\(ids.last!)}:{\(kinds.joined(separator: ","))})"
        )
        guard live else { return }
        print("updating \(rate) times per second\(duration > 0 ? " for \(duration) s" : "; Ctrl-C stops")")
        let end = duration > 0 ? ContinuousClock.now + .seconds(duration) : nil
        var round = 1
        while end.map({ ContinuousClock.now < $0 }) ?? true {
            try await Task.sleep(for: .seconds(1 / rate))
            try await write(redis, ids: ids, kinds: kinds, round: round, generator: &generator)
            round += 1
        }
    }

    private func write(_ redis: RedisClient, ids: [Int], kinds: [String], round: Int, generator: inout SystemRandomNumberGenerator) async throws {
        var commands: [[String]] = []
        for id in ids {
            for kind in kinds {
                var command = ["HSET", "\(source):\(id):\(kind)"]
                for point in 1...points {
                    command.append(String(point))
                    command.append(value(kind: kind, point: point, round: round, generator: &generator))
                }
                commands.append(command)
            }
        }
        _ = try await redis.pipeline(commands)
    }

    private func value(kind: String, point: Int, round: Int, generator: inout SystemRandomNumberGenerator) -> String {
        switch kind {
        case "S", "C": return String(Int.random(in: 0...1, using: &generator))
        default:
            let base = 100.0 + Double(point) * 10 + 5 * sin(Double(round) / 5 + Double(point))
            return String(format: "%.2f", base + Double.random(in: -0.5...0.5, using: &generator))
        }
    }
}
