import Bus
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardProtocol

/// Sends change frames to the scheduler's ingest pipe, in the order the changes were made, without making the
/// writer wait.
///
/// The write is already committed when a frame is queued; the frame is only the notice of it. So the HTTP answer does
/// not wait for the bus: frames go through one queue drained by one task (keeping their order), and when no scheduler is
/// connected each is retried a few times with a short backoff, then dropped with a warning — clients re-read
/// `/api/menu/version` on reconnect, which carries the same facts.
final class ChangePublisher: Service, Sendable {
    private let pusher: IngestPusher
    private let logger: Logger
    private let queue: AsyncStream<IngestEvent>
    private let input: AsyncStream<IngestEvent>.Continuation
    private let backoff: [Duration]

    init(pusher: IngestPusher, logger: Logger, backoff: [Duration] = [.milliseconds(20), .milliseconds(100), .milliseconds(300)]) {
        self.pusher = pusher
        self.logger = logger
        self.backoff = backoff
        let (stream, continuation) = AsyncStream<IngestEvent>.makeStream()
        queue = stream
        input = continuation
    }

    /// Queues `frame` for `topic` (`all`, `user/<name>`).
    func publish(topic: String, frame: String) {
        input.yield(IngestEvent(topic: topic, frame: frame))
    }

    func run() async throws {
        let encoder = JSONEncoder()
        for await event in queue.cancelOnGracefulShutdown() {
            guard let payload = try? encoder.encode(event) else { continue }
            await deliver(Array(payload), topic: event.topic)
        }
        pusher.shutdown()
    }

    private func deliver(_ payload: [UInt8], topic: String) async {
        if await pusher.push(payload) { return }
        for delay in backoff {
            try? await Task.sleep(for: delay)
            if await pusher.push(payload) { return }
        }
        logger.warning("no scheduler took a change notice for \(topic) after \(backoff.count + 1) attempts; dropped it")
    }
}
