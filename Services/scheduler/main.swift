import Bus
import ClientFrames
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
    keyTemplate: host.config.string("SWITCHBOARD_CONTROL_KEY_TEMPLATE", default: ControlHandler.defaultKeyTemplate)
)
let sources: TelemetrySources
let broadcastNetworks: [CIDR]
do {
    sources = try TelemetrySources(parsing: host.config.string(TelemetrySources.variable, default: TelemetrySources.defaultText))
    broadcastNetworks = try BroadcastNetworks.parse(host.config.environment)
} catch {
    host.logger.critical("scheduler cannot start: \(error)")
    exit(1)
}
host.serveHTTP(
    SchedulerRoutes.make(
        redis: host.redis, alarms: alarms, publisher: events, anonymous: AnonymousAccess(config: host.config), sources: sources,
        broadcastNetworks: broadcastNetworks))
let sessions = SessionStore(redis: host.redis, ttlSeconds: host.config.int("SWITCHBOARD_SESSION_TTL_SECONDS", default: 86_400))
EdgeStatusStore(redis: host.redis).register(on: host.rpc)
let rooms = RoomService(
    history: RoomHistoryStore(redis: host.redis, maxLength: host.config.int("SWITCHBOARD_ROOM_HISTORY_MAX", default: 1000)),
    presence: RoomPresenceStore(redis: host.redis, ttlSeconds: host.config.int("SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS", default: 30)),
    sessions: sessions,
    publisher: events
)
rooms.register(on: host.rpc)
let questions = QuestionStore(
    redis: host.redis, taskTTLSeconds: host.config.int("SWITCHBOARD_TASK_TTL_SECONDS", default: 3600),
    suggestionCap: host.config.int("SWITCHBOARD_QUESTION_SUGGESTIONS_MAX", default: QuestionStore.defaultSuggestionCap))
QuestionService(store: questions, publisher: events).register(on: host.rpc)

// The client frames the scheduler owns (`scheduler.command`); room ACLs and question rates are auth's decisions.
let auth: RPCClient
do {
    auth = try RPCClient(service: ServiceName.auth.rawValue, endpoint: host.config.connectEndpoints(for: .auth), logger: host.logger)
} catch {
    host.logger.critical("scheduler cannot reach auth's socket: \(error)")
    exit(1)
}
let anonymous = AnonymousAccess(config: host.config)
let roomAccess = RoomAccessCheck(auth: auth)
let commands = CommandRouter([
    SubscribeCommand(groups: subscribe, sources: sources, anonymous: anonymous),
    UnsubscribeCommand(),
    SubscribeAlarmsCommand(limits: subscriptionLimits, anonymous: anonymous),
    UnsubscribeAlarmsCommand(),
    ControlCommandHandler(sources: sources, write: { try await control.handle($0) }, read: { try await control.read($0) }),
    JoinRoomCommand(rooms: rooms, access: roomAccess),
    LeaveRoomCommand(rooms: rooms),
    ChatMessageCommand(rooms: rooms, access: roomAccess),
    GetHistoryCommand(rooms: rooms, questions: questions, access: roomAccess),
    ClearHistoryCommand(rooms: rooms, questions: questions),
    AskQuestionCommand(store: questions, auth: auth),
    GetSuggestionsCommand(store: questions),
])
// The edge routes by the shared catalog: a type it sends here must have a handler here.
precondition(commands.types == Set(ClientMessageCatalog.types(of: .scheduler)), "scheduler handlers and ClientMessageCatalog disagree")
commands.register(on: host.rpc)
ConnectionEvents(
    rooms: rooms, sessions: sessions, alarmsToAll: host.config.bool("SWITCHBOARD_ALARMS_TO_ALL", default: true), anonymous: anonymous,
    logger: host.logger
).register(on: host.rpc)

try await host.run(services: [
    lease,
    SubscriptionWatcher(publisher: events, groups: groups, logger: host.logger),
    TelemetryEngine(groups: groups, redis: pollingRedis, publisher: events, lease: lease, sources: sources, logger: host.logger),
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
auth.shutdown()
