import AuthTokens
import Foundation
import Hummingbird
import Logging
import ServiceKit
import ServiceLifecycle
import SwitchboardProtocol

// SIGTERM/SIGINT from the first instruction on: a stop during start-up drains once the service group listens.
EarlySignals.hold()

let config = SwitchboardConfig.loadOrExit(service: "ws-edge")
let logger = LogSetup.bootstrap(service: "ws-edge", level: config.logLevel)
let metricsRegistry = Observability.bootstrap(service: "ws-edge")

func fail(_ message: String) -> Never {
    logger.critical("ws-edge cannot start: \(message)")
    FileHandle.standardError.write(Data("ws-edge: \(message)\n".utf8))
    exit(1)
}

if let busy = ListenCheck.ensureFree(host: config.httpHost, port: config.httpPort, reusePort: config.edgeReusePort) {
    fail(busy)
}
let secret: String
let httpLimits: EdgeHTTPLimits
do {
    secret = try JWTSecret.load(from: config)
    httpLimits = try EdgeHTTPLimits(config: config)
} catch {
    fail("\(error)")
}
let edgeID = config.string("SWITCHBOARD_EDGE_ID", default: "edge-\(ProcessInfo.processInfo.hostName)-\(getpid())")
let backends: Backends
let registry: ConnectionRegistry
do {
    backends = try Backends(config: config, logger: logger)
    registry = try ConnectionRegistry(eventsEndpoint: config.eventsConnectEndpoints, logger: logger)
} catch {
    fail("cannot set up the bus: \(error)")
}
if config.bool("SWITCHBOARD_TRUST_PROXY", default: false) {
    fail(
        "SWITCHBOARD_TRUST_PROXY is gone: list the proxies whose X-Forwarded-For to believe in SWITCHBOARD_TRUSTED_PROXIES (CIDRs, e.g. 10.0.0.0/8,fd00::/8)"
    )
}
let trustedProxies: [CIDR]
do {
    trustedProxies = try CIDR.list(config.string("SWITCHBOARD_TRUSTED_PROXIES", default: ""))
} catch {
    fail("SWITCHBOARD_TRUSTED_PROXIES: \(error)")
}
let anonymousPrincipal: Principal?
do {
    anonymousPrincipal = try AnonymousRole.principal(setting: config.string(AnonymousRole.variable, default: ""))
} catch {
    fail("\(error)")
}
let authenticator = Authenticator(
    tokens: await TokenAuthority(secret: secret), trustedProxies: trustedProxies,
    cache: VerifiedTokenCache(capacity: config.int("SWITCHBOARD_TOKEN_CACHE_SIZE", default: 10_000)), anonymousPrincipal: anonymousPrincipal)
let localPolicy = LocalPolicy(maxConnectionsPerIP: config.int("SWITCHBOARD_MAX_CONNECTIONS_PER_IP", default: 10))
// Admission and message rates are decided locally and kept global by batched exchanges with auth (`EdgeMaintenance`).
let countInterval = Duration.milliseconds(max(100, config.int("SWITCHBOARD_EDGE_COUNT_SYNC_MS", default: 1000)))
let rateInterval = Duration.milliseconds(max(50, config.int("SWITCHBOARD_RATE_SYNC_MS", default: 250)))
let admission = ConnectionAdmission()
let messageRates = MessageRateLimiter(
    perSecond: config.double("SWITCHBOARD_MESSAGE_RATE", default: 20), burst: config.double("SWITCHBOARD_MESSAGE_BURST", default: 40),
    syncInterval: rateInterval)
let policyLoader = PolicyLoader(auth: backends.client(.auth), policy: localPolicy, logger: logger)
registry.handleEdgeEvents(PolicyTopic.blocklist) { _, payload, _ in policyLoader.noticeArrived(payload) }
let connectionEvents = ConnectionEventBatcher(client: backends.client(.scheduler), timeout: .seconds(2))
let edgeContext = EdgeContext(
    edgeID: edgeID, backends: backends, registry: registry, ordered: OrderedTopics(), connectionEvents: connectionEvents, logger: logger,
    commandTimeout: .milliseconds(config.int("SWITCHBOARD_RPC_TIMEOUT_MS", default: 5000)))
// Every client frame but ping/heartbeat goes to the service that owns its type (`ClientMessageCatalog`).
let messageRouter = MessageRouter(context: edgeContext)
let hooks = HookChain(
    [
        PolicyHook(auth: backends.client(.auth), policy: localPolicy, admission: admission, exchangeInterval: countInterval, logger: logger),
        RateLimitHook(limiter: messageRates),
        ConnectionLogHook(logger: logger),
        ConnectionEventsHook(context: edgeContext),
        MetricsHook(),
    ],
    logger: logger
)
registry.handleEdgeEvents(PolicyTopic.roomACL) { _, payload, _ in ConnectionEvent.roomACLChanged(payload, context: edgeContext) }
let maxMessageBytes = min(max(1, config.int("SWITCHBOARD_WS_MAX_FRAME_BYTES", default: 64 * 1024)), 1 << 30)
let pingSeconds = config.int("SWITCHBOARD_WS_PING_SECONDS", default: 30)

let router = Router(context: EdgeRequestContext.self)
router.add(middleware: BlocklistMiddleware(loader: policyLoader, authenticator: authenticator))
HealthRoute(
    backends: backends, authenticator: authenticator, startedAt: .now,
    timeout: .milliseconds(config.int("SWITCHBOARD_HEALTH_TIMEOUT_MS", default: 1000))
).register(on: router)
ForwardRoutes(
    backends: backends,
    authenticator: authenticator,
    maxBodyBytes: config.int("SWITCHBOARD_MAX_BODY_BYTES", default: 1 << 20),
    timeout: .milliseconds(config.int("SWITCHBOARD_RPC_TIMEOUT_MS", default: 5000)),
    signerTimeout: .milliseconds(config.int("SWITCHBOARD_SIGNER_TIMEOUT_MS", default: 30_000) + 1000)
).register(on: router)
let sessionSettings = WebSocketSettings(
    messageLimit: maxMessageBytes,
    queueBytes: max(1, config.int("SWITCHBOARD_WS_QUEUE_BYTES", default: 4 << 20)),
    // 0 turns protocol-level pings off; the JSON heartbeat still runs.
    pingInterval: pingSeconds > 0 ? .seconds(Int64(pingSeconds)) : nil
)
// The conformance suite's echo endpoint: its own message limit (16 MiB for Autobahn's 9.* cases), a queue bound that
// holds two of its messages, no pings.
let echoLimit = min(max(1, config.int("SWITCHBOARD_WS_ECHO_MAX_BYTES", default: maxMessageBytes)), 1 << 30)
let echoSettings: WebSocketSettings? =
    config.bool("SWITCHBOARD_WS_ECHO", default: false)
    ? WebSocketSettings(messageLimit: echoLimit, queueBytes: max(sessionSettings.queueBytes, 2 * echoLimit + 1024), pingInterval: nil) : nil
let webSocketSessions = WebSocketSessions(context: edgeContext, hooks: hooks, router: messageRouter, settings: sessionSettings)
// Socket.IO v4 clients on `/socket.io/`: one more framing of the same connections, hooks and router.
let socketIO = SocketIORoutes(
    sessions: SocketIOSessions(
        shared: webSocketSessions, authenticator: authenticator,
        settings: .init(
            pingInterval: .milliseconds(Int64(max(100, config.int("SWITCHBOARD_SOCKETIO_PING_INTERVAL_MS", default: 25_000)))),
            pingTimeout: .milliseconds(Int64(max(100, config.int("SWITCHBOARD_SOCKETIO_PING_TIMEOUT_MS", default: 20_000)))),
            maxSessions: httpLimits.maxConnections)))
socketIO.register(on: router)
let webSockets = WebSocketRoutes(
    authenticator: authenticator, policy: localPolicy, sessions: webSocketSessions, echo: echoSettings, socketIO: socketIO)
webSockets.register(on: router)
HookAdminRoutes(hooks: hooks, authenticator: authenticator).register(on: router)
StatusRoute(
    edgeID: edgeID, registry: registry, scheduler: backends.client(.scheduler), handlerTypes: messageRouter.types,
    authenticator: authenticator, timeout: .seconds(2)
).register(on: router)
MetricsRoute(registry: metricsRegistry, backends: backends, timeout: .seconds(1), authenticator: authenticator).register(on: router)
let assets: EdgeAssets
let apiDocument: APIDocument
do {
    assets = try EdgeAssets(directory: ProcessInfo.processInfo.environment["SWITCHBOARD_EDGE_ASSETS"])
    apiDocument = try APIDocument(assets: assets)
} catch {
    fail("\(error)")
}
ConsoleRoute(assets: assets).register(on: router)
DocsRoutes(assets: assets, document: apiDocument).register(on: router)
MessageSchemaRoute(messages: messageRouter, examples: apiDocument.websocketExamples).register(on: router)

let server = EdgeServer(
    host: config.httpHost,
    port: config.httpPort,
    reusePort: config.edgeReusePort,
    responder: router.buildResponder(),
    registry: registry,
    makeChannel: { responder in
        EdgeChannel(
            responder: responder,
            maxFrameSize: max(maxMessageBytes, echoSettings?.messageLimit ?? 0),
            limits: httpLimits,
            deflate: PerMessageDeflate.Configuration(config),
            decide: { head, channel, logger in webSockets.check(head, channel: channel, logger: logger) }
        )
    },
    serverName: "switchboard-edge",
    drainGrace: .seconds(config.int("SWITCHBOARD_EDGE_DRAIN_SECONDS", default: 5)),
    connectionLimiter: ConnectionLimiter(maxConnections: httpLimits.maxConnections, maxPerIP: httpLimits.maxConnectionsPerIP),
    logger: logger
)
let services = ServiceGroup(
    configuration: .init(
        services: [
            .init(service: BusSecurityService(logger: logger)),
            // Before the server: the group stops services in reverse order, so closes during the drain are still sent.
            .init(service: connectionEvents),
            .init(service: server),
            .init(
                service: EdgeMaintenance(
                    edgeID: edgeID,
                    registry: registry,
                    backends: backends,
                    policy: policyLoader,
                    admission: admission,
                    rates: messageRates,
                    logger: logger,
                    syncInterval: .seconds(config.int("SWITCHBOARD_EDGE_SYNC_SECONDS", default: 10)),
                    countInterval: countInterval,
                    rateInterval: rateInterval,
                    heartbeatInterval: .seconds(config.int("SWITCHBOARD_HEARTBEAT_SECONDS", default: 30))
                )
            ),
            EarlySignals.replayService,
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
)
do {
    logger.info("ws-edge \(SwitchboardVersion.current) \(edgeID) starting on \(config.httpHost):\(config.httpPort)")
    try await services.run()
} catch {
    registry.shutdown()
    backends.shutdown()
    let text = "\(error)"
    fail(text.contains("Address already in use") ? ListenCheck.busyMessage(port: config.httpPort) : text)
}
registry.shutdown()
backends.shutdown()
