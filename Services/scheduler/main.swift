import Bus
import Foundation
import Redis
import ServiceHost
import ServiceKit
import SwitchboardProtocol

// SIGTERM/SIGINT from the first instruction on: a stop during start-up drains once the service group listens.
EarlySignals.hold()

let groups = GroupTable()
let host = ServiceHost.bootOrExit("scheduler", endpoint: { $0.endpoint(for: .scheduler) }) {
    ["groups": String(groups.groupCount), "topics": String(groups.topicCount)]
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
let redisConfiguration = try host.config.redisConfiguration()
// Polling gets its own connection so a long pipeline never waits behind RPC work (and vice versa).
let pollingRedis = RedisClient(configuration: redisConfiguration, logger: host.logger)
// Several schedulers may run; only the lease holder polls (its own connection, so renewals never queue behind work).
let leaseRedis = RedisClient(configuration: redisConfiguration, logger: host.logger)
let lease = SchedulerLease(
    redis: leaseRedis, ttl: .milliseconds(host.config.int("SWITCHBOARD_SCHEDULER_LEASE_TTL_MS", default: 1000)),
    renewEvery: .milliseconds(host.config.int("SWITCHBOARD_SCHEDULER_LEASE_RENEW_MS", default: 200)), logger: host.logger)
let alarms = AlarmStore(redis: host.redis, publisher: events)
let subscriptionLimits: SubscriptionLimits
do {
    subscriptionLimits = try SubscriptionLimits(config: host.config)
} catch {
    host.logger.critical("scheduler cannot start: \(error)")
    exit(1)
}
let subscribe = SubscribeHandler(redis: host.redis, limits: subscriptionLimits)
let control = ControlHandler(
    redis: host.redis,
    keyTemplate: host.config.string("SWITCHBOARD_CONTROL_KEY_TEMPLATE", default: "{source}:{channel}:{type}:TODO")
)
host.rpc.register(TelemetrySubscribe.self) { params, _ in try await subscribe.handle(params) }
host.rpc.register(ControlCommand.self) { params, _ in try await control.handle(params) }
let broadcastNetworks: [CIDR]
do {
    broadcastNetworks = try CIDR.list(host.config.string("SWITCHBOARD_BROADCAST_NETWORKS", default: ""))
} catch {
    host.logger.critical("scheduler cannot start: SWITCHBOARD_BROADCAST_NETWORKS: \(error)")
    exit(1)
}
host.serveHTTP(
    SchedulerRoutes.make(
        redis: host.redis, alarms: alarms, publisher: events, anonymous: AnonymousAccess(config: host.config),
        broadcastNetworks: broadcastNetworks))
let sessions = SessionStore(redis: host.redis, ttlSeconds: host.config.int("SWITCHBOARD_SESSION_TTL_SECONDS", default: 86_400))
sessions.register(on: host.rpc)
EdgeStatusStore(redis: host.redis).register(on: host.rpc)
RoomService(
    history: RoomHistoryStore(redis: host.redis, maxLength: host.config.int("SWITCHBOARD_ROOM_HISTORY_MAX", default: 1000)),
    presence: RoomPresenceStore(redis: host.redis, ttlSeconds: host.config.int("SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS", default: 30)),
    sessions: sessions,
    publisher: events
).register(on: host.rpc)
QuestionService(
    store: QuestionStore(
        redis: host.redis, taskTTLSeconds: host.config.int("SWITCHBOARD_TASK_TTL_SECONDS", default: 3600),
        suggestionCap: host.config.int("SWITCHBOARD_QUESTION_SUGGESTIONS_MAX", default: QuestionStore.defaultSuggestionCap)),
    publisher: events
).register(on: host.rpc)

try await host.run(services: [
    lease,
    SubscriptionWatcher(publisher: events, groups: groups, logger: host.logger),
    TelemetryEngine(groups: groups, redis: pollingRedis, publisher: events, lease: lease, logger: host.logger),
    IngestConsumer(puller: ingest, publisher: events, logger: host.logger),
    AlarmFeed(
        subscriber: RedisSubscriber(configuration: redisConfiguration, channels: ["alarm:events"], logger: host.logger),
        store: alarms,
        lease: lease,
        logger: host.logger
    ),
])
pollingRedis.shutdown()
leaseRedis.shutdown()
