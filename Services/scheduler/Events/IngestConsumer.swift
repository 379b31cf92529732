import Bus
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardProtocol

/// Takes events from the ingest pipe and publishes them to the edges.
struct IngestConsumer: Service {
    let puller: IngestPuller
    let publisher: EventPublisher
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            let decoder = JSONDecoder()
            for await payload in puller.messages.cancelOnGracefulShutdown() {
                guard let event = try? decoder.decode(IngestEvent.self, from: Data(payload)) else {
                    logger.warning("dropping an ingest event that does not decode (\(payload.count) bytes)")
                    continue
                }
                switch event.kind {
                case .publish:
                    publisher.publish(topic: event.topic, payload: Array(event.frame.utf8))
                }
            }
        } onGracefulShutdown: {
            puller.shutdown()
        }
    }
}
