import Foundation
import Logging
import Redis
import ServiceLifecycle

/// Follows Redis pub/sub `alarm:events` (how the field side announces alarms) and records each alarm.
struct AlarmFeed: Service {
    let subscriber: RedisSubscriber
    let store: AlarmStore
    /// Every instance listens, only the lease holder records (and so publishes) an alarm.
    let lease: SchedulerLease
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            for await message in subscriber.messages.cancelOnGracefulShutdown() {
                guard lease.isActive else { continue }
                guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any] else {
                    logger.warning("ignoring an alarm event that is not a JSON object")
                    continue
                }
                do {
                    try await store.record(object)
                } catch {
                    logger.warning("alarm not recorded: \(error)")
                }
            }
        } onGracefulShutdown: {
            subscriber.shutdown()
        }
    }
}
