import Foundation
import Hummingbird
import Logging
import ServiceKit
import SwitchboardProtocol

let config = SwitchboardConfig()
let logger = LogSetup.bootstrap(service: "ws-edge", level: config.logLevel)

if let busy = ListenCheck.ensureFree(host: config.httpHost, port: config.httpPort, reusePort: config.edgeReusePort) {
    logger.critical("ws-edge cannot start: \(busy)")
    FileHandle.standardError.write(Data("ws-edge: \(busy)\n".utf8))
    exit(1)
}

let backends: Backends
do {
    backends = try Backends(config: config, logger: logger)
} catch {
    FileHandle.standardError.write(Data("ws-edge: cannot set up the bus: \(error)\n".utf8))
    exit(1)
}

let router = Router()
HealthRoute(backends: backends, startedAt: .now, timeout: .milliseconds(config.int("SWITCHBOARD_HEALTH_TIMEOUT_MS", default: 1000)))
    .register(on: router)

let app = Application(
    router: router,
    configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "switchboard-edge"),
    logger: logger
)
do {
    logger.info("ws-edge \(SwitchboardVersion.current) listening on \(config.httpHost):\(config.httpPort) (pid \(getpid()))")
    try await app.runService()
} catch {
    let text = "\(error)"
    let message = text.contains("Address already in use") ? ListenCheck.busyMessage(port: config.httpPort) : text
    FileHandle.standardError.write(Data("ws-edge: \(message)\n".utf8))
    backends.shutdown()
    exit(1)
}
backends.shutdown()
