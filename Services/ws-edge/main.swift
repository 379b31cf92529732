import AuthTokens
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceKit
import SwitchboardProtocol

let config = SwitchboardConfig()
let logger = LogSetup.bootstrap(service: "ws-edge", level: config.logLevel)

func fail(_ message: String) -> Never {
    logger.critical("ws-edge cannot start: \(message)")
    FileHandle.standardError.write(Data("ws-edge: \(message)\n".utf8))
    exit(1)
}

if let busy = ListenCheck.ensureFree(host: config.httpHost, port: config.httpPort, reusePort: config.edgeReusePort) {
    fail(busy)
}
let secret: String
do {
    secret = try JWTSecret.load(from: config)
} catch {
    fail(error.description)
}
let backends: Backends
do {
    backends = try Backends(config: config, logger: logger)
} catch {
    fail("cannot set up the bus: \(error)")
}
let authenticator = Authenticator(tokens: await TokenAuthority(secret: secret), trustProxy: config.bool("SWITCHBOARD_TRUST_PROXY", default: false))

let router = Router(context: EdgeRequestContext.self)
HealthRoute(backends: backends, startedAt: .now, timeout: .milliseconds(config.int("SWITCHBOARD_HEALTH_TIMEOUT_MS", default: 1000)))
    .register(on: router)
ForwardRoutes(
    backends: backends,
    authenticator: authenticator,
    maxBodyBytes: config.int("SWITCHBOARD_MAX_BODY_BYTES", default: 1 << 20),
    timeout: .milliseconds(config.int("SWITCHBOARD_RPC_TIMEOUT_MS", default: 5000))
).register(on: router)

let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(
        webSocketRouter: router,
        configuration: .init(maxFrameSize: config.int("SWITCHBOARD_WS_MAX_FRAME_BYTES", default: 64 * 1024))
    ),
    configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "switchboard-edge"),
    logger: logger
)
do {
    logger.info("ws-edge \(SwitchboardVersion.current) listening on \(config.httpHost):\(config.httpPort) (pid \(getpid()))")
    try await app.runService()
} catch {
    backends.shutdown()
    let text = "\(error)"
    fail(text.contains("Address already in use") ? ListenCheck.busyMessage(port: config.httpPort) : text)
}
backends.shutdown()
