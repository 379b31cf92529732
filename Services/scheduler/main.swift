import Bus
import Foundation
import ServiceKit

let topics = TopicRegistry()
let host = ServiceHost.bootOrExit("scheduler", endpoint: { $0.endpoint(for: .scheduler) }) {
    ["topics": String(topics.count)]
}
let events: EventPublisher
let ingest: IngestPuller
do {
    events = try EventPublisher(endpoint: host.config.eventsEndpoint)
    ingest = try IngestPuller(endpoint: host.config.ingestEndpoint)
} catch {
    host.logger.critical("scheduler cannot bind its event sockets: \(error)")
    exit(1)
}
try await host.run(services: [
    SubscriptionWatcher(publisher: events, topics: topics, logger: host.logger),
    IngestConsumer(puller: ingest, publisher: events, logger: host.logger),
])
