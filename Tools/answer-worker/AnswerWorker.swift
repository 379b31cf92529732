import ArgumentParser
import Bus
import CommandKit
import Foundation
import Logging
import Redis
import ServiceHost
import ServiceKit
import ServiceLifecycle
import SwitchboardProtocol

/// Answers the questions users ask (`ask_question`) from a FAQ, as one member of the `answer-workers` consumer group.
///
/// Run as many as you like: each question goes to one worker, is acknowledged only after the scheduler has recorded the
/// answer and sent it to the asker, and is taken over by another worker when its worker dies before that.
@main
struct AnswerWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "answer-worker",
        abstract: "Answers questions from the `questions` Redis stream with a FAQ and a similarity score."
    )

    @Option(help: "FAQ JSON file: [{\"question\": \"…\", \"answers\": [\"…\"]}]; default: the built-in FAQ.") var faq: String?
    @Option(help: "Redis URL (default: SWITCHBOARD_REDIS_URL, else redis://127.0.0.1:6379).") var redis: String?
    @Option(help: "Consumer name in the group (default: answer-worker-<host>-<pid>).") var consumer: String?
    @Option(help: "Take over questions pending this long with a worker that may have died, in milliseconds.") var claimAfterMs = 30_000
    @Option(help: "Artificial work time per question, in milliseconds.") var delayMs = 0
    @Option(help: "Lowest similarity (0…1) that counts as an answer; below it the worker says it does not know.") var threshold = 0.45
    @Option(help: "Questions read at once.") var batch = 10

    /// Like the generated `main`, but SIGTERM/SIGINT are handled from the first instruction (see `EarlySignals`).
    static func main() async {
        await mainHoldingStopSignals()
    }

    func validate() throws {
        guard claimAfterMs >= 100 else { throw ValidationError("--claim-after-ms must be at least 100") }
        guard delayMs >= 0, batch >= 1, (0...1).contains(threshold) else {
            throw ValidationError("--delay-ms must not be negative, --batch at least 1, --threshold within 0…1")
        }
    }

    func run() async throws {
        let config = SwitchboardConfig.loadOrExit(service: "answer-worker")
        let logger = LogSetup.bootstrap(service: "answer-worker", level: config.logLevel)
        let knowledge = try FAQ.load(path: faq)
        let name = consumer ?? "answer-worker-\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let client = RedisClient(configuration: try redis.map { try RedisConfiguration(url: $0) } ?? config.redisConfiguration(), logger: logger)
        let scheduler = try RPCClient(service: "scheduler", endpoint: config.connectEndpoints(for: .scheduler), logger: logger)
        defer {
            scheduler.shutdown()
            client.shutdown()
        }
        let worker = Worker(
            queue: QuestionConsumer(redis: client, consumer: name),
            scheduler: scheduler,
            faq: knowledge,
            settings: .init(claimAfterMs: claimAfterMs, delayMs: delayMs, threshold: threshold, batch: batch),
            name: name,
            logger: logger
        )
        logger.info("answer-worker \(name) answering from \(knowledge.count) FAQ entries; claiming after \(claimAfterMs) ms")
        // SIGTERM/SIGINT stop taking questions; the one being answered is finished and acknowledged first.
        try await ServiceGroup(
            configuration: .init(
                services: [.init(service: BusSecurityService(logger: logger)), .init(service: worker), EarlySignals.replayService],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        ).run()
        logger.info("answer-worker \(name) stopped")
    }
}
