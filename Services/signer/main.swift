import Foundation
import ServiceHost
import ServiceKit
import ServiceLifecycle
import SwitchboardProtocol
import Synchronization

// SIGTERM/SIGINT from the first instruction on: a stop during start-up drains once the service group listens.
EarlySignals.hold()

// The signer: POST /getCode and POST /api/sign, answered through a pool of connections to the e-port signing client.
let settings: SignerSettings
do {
    settings = try SignerSettings(config: SwitchboardConfig.loadOrExit(service: "signer"))
} catch {
    FileHandle.standardError.write(Data("signer: \(error)\n".utf8))
    exit(1)
}

// The pool needs the host's logger and the host's health needs the pool: the holder breaks the cycle.
let poolHolder = Mutex<UpstreamPool?>(nil)
let host = ServiceHost.bootOrExit("signer", endpoint: { $0.endpoint(for: .signer) }) {
    poolHolder.withLock { $0 }?.healthDetails() ?? ["upstream_state": "starting"]
}
if settings.usesDefaultKey {
    host.logger.warning("SWITCHBOARD_SIGNER_AES_KEY is the well-known development default; production refuses it")
}
let pool = UpstreamPool(settings: settings, logger: host.logger)
poolHolder.withLock { $0 = pool }

let getCodeRateLimit = GetCodeRateLimit(perSecond: settings.getCodeRatePerSecond, burst: settings.getCodeBurst)
let getCode = GetCodeRoute(pool: pool, settings: settings, rateLimit: getCodeRateLimit, logger: host.logger)
let sign = SignRoute(pool: pool, settings: settings, logger: host.logger)
let routes = HTTPRoutes { routes in
    routes.on("POST", "/getCode") { call in await getCode.handle(call) }
    routes.on("POST", "/api/sign") { call in try await sign.handle(call) }
}
// Like `host.serveHTTP(routes)`, but handing the edge's deadline to the handlers (see `RequestDeadline`), with the
// frame read and the reply written by `HTTPForwardFrame` (one scan, one write, as every service).
host.rpc.registerRaw(HTTPForward.name) { frame, context in
    let request: ForwardedRequest
    switch HTTPForwardFrame.request(frame, id: context.requestID) {
    case .success(let decoded): request = decoded
    case .failure(let refusal): return refusal.reply
    }
    let response = await RequestDeadline.$current.withValue(context.deadline) { await routes.respond(to: request) }
    return HTTPForwardFrame.reply(id: context.requestID, response)
}

var services: [any Service] = []
if settings.probeSeconds > 0 {
    services.append(UpstreamProbe(pool: pool, interval: .milliseconds(Int(settings.probeSeconds * 1000)), logger: host.logger))
}
host.logger.info(
    "signer upstream \(settings.upstreamURL), pool \(settings.poolSize), \(settings.multiplex ? "multiplex \(settings.multiplexInFlight)" : "serial"), timeout \(settings.timeoutMilliseconds) ms\(settings.blockFrames ? ", BLOCKTXT blocks over 120 KB" : "")"
)
try await host.run(services: services)
pool.closeAll()
