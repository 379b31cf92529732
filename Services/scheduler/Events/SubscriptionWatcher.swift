import Bus
import Logging
import ServiceLifecycle

/// Follows XPUB subscription notices so the scheduler knows which topics somebody wants (and, after a restart, learns
/// them again from the edges' re-sent subscriptions).
struct SubscriptionWatcher: Service {
    let publisher: EventPublisher
    let groups: GroupTable
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            for await notice in publisher.notices.cancelOnGracefulShutdown() {
                switch notice {
                case .subscribed(let topic):
                    groups.subscribed(topic)
                    logger.debug("first subscriber of \(topic)")
                case .unsubscribed(let topic):
                    groups.unsubscribed(topic)
                    logger.debug("last subscriber of \(topic) left")
                }
            }
        } onGracefulShutdown: {
            publisher.shutdown()
        }
    }
}
