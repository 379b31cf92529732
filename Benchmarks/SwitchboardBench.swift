import ArgumentParser

/// Benchmarks that live with the code: each reports medians over repeated runs and ratios, never a pass/fail time.
@main
struct SwitchboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-bench",
        abstract: "Switchboard's benchmarks.",
        subcommands: [
            BusBenchmark.self,
            FanoutBenchmark.self,
            IdleBenchmark.self,
            PingPongBenchmark.self,
            UpgradeBenchmark.self,
            GetCodeBenchmark.self,
            ChatBenchmark.self,
            AllBenchmarks.self,
        ]
    )
}

struct AllBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Run every benchmark with its defaults.")

    func run() async throws {
        let bus = try BusBenchmark.parse([])
        try await bus.run()
        let fanout = try FanoutBenchmark.parse([])
        try await fanout.run()
        let pingPong = try PingPongBenchmark.parse([])
        try await pingPong.run()
        let upgrade = try UpgradeBenchmark.parse([])
        try await upgrade.run()
        let idle = try IdleBenchmark.parse([])
        try await idle.run()
        let getCode = try GetCodeBenchmark.parse([])
        try await getCode.run()
        let chat = try ChatBenchmark.parse([])
        try await chat.run()
    }
}
