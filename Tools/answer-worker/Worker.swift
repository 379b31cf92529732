import Bus
import Logging
import ServiceLifecycle
import SwitchboardProtocol

/// The worker's loop: take over stale questions now and then, read new ones, answer each, report, acknowledge; until a
/// graceful shutdown, which lets the question in hand finish (a blocking read ends within a second).
struct Worker: Service {
    struct Settings: Sendable {
        let claimAfterMs: Int
        let delayMs: Int
        let threshold: Double
        let batch: Int
    }

    let queue: QuestionConsumer
    let scheduler: RPCClient
    let faq: FAQ
    let settings: Settings
    let name: String
    let logger: Logger

    func run() async {
        await waitForGroup()
        guard !Task.isShuttingDownGracefully else { return }
        // Whatever this consumer name left unacknowledged before a restart comes first.
        await answerAll { try await queue.readOwnPending(count: settings.batch) }
        let claimEvery = Duration.milliseconds(max(100, settings.claimAfterMs / 2))
        var lastClaim = ContinuousClock.now - claimEvery
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if ContinuousClock.now - lastClaim >= claimEvery {
                lastClaim = .now
                await answerAll { try await queue.claimStale(idleMilliseconds: settings.claimAfterMs, count: settings.batch) }
            }
            let block = min(1000, Int(claimEvery.seconds * 1000))
            await answerAll { try await queue.readNew(count: settings.batch, blockMilliseconds: block) }
        }
    }

    private func waitForGroup() async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await queue.ensureGroup()
                return
            } catch {
                logger.warning("cannot create the consumer group yet: \(error)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    private func answerAll(_ fetch: () async throws -> [QuestionConsumer.Question]) async {
        let questions: [QuestionConsumer.Question]
        do {
            questions = try await fetch()
        } catch {
            logger.warning("reading questions failed: \(error)")
            try? await Task.sleep(for: .milliseconds(500))
            return
        }
        for question in questions { await answer(question) }
    }

    /// Answers one question; it is acknowledged only when the scheduler has taken the answer (or the entry is unusable),
    /// so a failure here leaves it pending for a later claim.
    func answer(_ question: QuestionConsumer.Question) async {
        guard !question.taskID.isEmpty, !question.user.isEmpty else {
            logger.warning("acknowledging unusable queue entry \(question.entryID)")
            try? await queue.acknowledge(question)
            return
        }
        if settings.delayMs > 0 { try? await Task.sleep(for: .milliseconds(settings.delayMs)) }
        let match = faq.answer(question.text, threshold: settings.threshold)
        do {
            let result = try await scheduler.call(
                QuestionComplete.self,
                .init(taskID: question.taskID, user: question.user, answer: match.answer, score: match.score, source: match.source, worker: name),
                timeout: .seconds(5)
            )
            try await queue.acknowledge(question)
            logger.info(
                "task \(question.taskID) for \(question.user): score \(match.score) from \(match.source)\(result.published ? "" : " (already answered)")"
            )
        } catch {
            logger.warning("task \(question.taskID) not answered yet (left pending for a retry): \(error)")
        }
    }
}
