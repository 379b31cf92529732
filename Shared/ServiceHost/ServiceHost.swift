import Bus
import Foundation
import Logging
import Redis
import ServiceKit
import ServiceLifecycle
import SwitchboardProtocol

/// The runtime every backing service shares: configuration, logging, the run-dir lock, a Redis client, the RPC server with
/// `sys.health`, and a `ServiceGroup` that drains on SIGTERM/SIGINT.
///
/// A service's `main.swift` calls `EarlySignals.hold()` first (so a stop during start-up is not lost), boots a host,
/// registers its methods and extra services, and calls `run()`.
public final class ServiceHost: Sendable {
    public let name: String
    public let config: SwitchboardConfig
    public let logger: Logger
    public let redis: RedisClient
    public let rpc: RPCServer
    public let startedAt = ContinuousClock.now
    private let lock: RunDirLock
    private let details: @Sendable () async -> [String: String]

    /// Boots the host or exits with a clear message (lock held, socket not bindable).
    public static func bootOrExit(
        _ name: String,
        endpoint: (SwitchboardConfig) -> String,
        details: @escaping @Sendable () async -> [String: String] = { [:] }
    ) -> ServiceHost {
        let config = SwitchboardConfig.loadOrExit(service: name)
        let logger = LogSetup.bootstrap(service: name, level: config.logLevel)
        let metrics = Observability.bootstrap(service: name)
        do {
            let host = try ServiceHost(name: name, config: config, logger: logger, endpoint: endpoint(config), details: details)
            host.rpc.register(SystemMetrics.self) { _, _ in SystemMetrics.Result(text: metrics.emitToString()) }
            return host
        } catch {
            logger.critical("\(name) cannot start: \(error)")
            FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
            exit(1)
        }
    }

    init(
        name: String,
        config: SwitchboardConfig,
        logger: Logger,
        endpoint: String,
        details: @escaping @Sendable () async -> [String: String]
    ) throws {
        self.name = name
        self.config = config
        self.logger = logger
        self.details = details
        lock = try RunDirLock(service: name, runDirectory: config.runDirectory)
        redis = RedisClient(configuration: try config.redisConfiguration(), logger: Logger(label: "\(name).redis"))
        rpc = try RPCServer(endpoint: endpoint, logger: logger)
        rpc.register(SystemHealth.self) { [self] _, _ in await self.healthReport() }
    }

    public func healthReport() async -> HealthReport {
        HealthReport(
            service: name,
            version: SwitchboardVersion.current,
            pid: getpid(),
            uptimeSeconds: startedAt.duration(to: .now).seconds,
            redis: await RedisProbe.check(redis),
            details: await details()
        )
    }

    /// Answers the HTTP requests the edge forwards to this service (`http.request`), the frame read and the reply
    /// written by `HTTPForwardFrame` (one scan, one write: no `Codable` per request).
    public func serveHTTP(_ routes: HTTPRoutes) {
        rpc.registerRaw(HTTPForward.name) { frame, context in
            switch HTTPForwardFrame.request(frame, id: context.requestID) {
            case .success(let request): return HTTPForwardFrame.reply(id: context.requestID, await routes.respond(to: request))
            case .failure(let refusal): return refusal.reply
            }
        }
    }

    /// Serves RPC and the given services until SIGTERM or SIGINT, then drains and closes sockets and Redis.
    public func run(services: [any Service] = []) async throws {
        logger.info("\(name) \(SwitchboardVersion.current) serving \(rpc.endpoint) (pid \(getpid()))")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: BusSecurityService(logger: logger)), .init(service: RPCService(server: rpc))]
                    + services.map { .init(service: $0) } + [EarlySignals.replayService],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        redis.shutdown()
        logger.info("\(name) stopped")
    }
}

/// Runs an `RPCServer` as a lifecycle service: on graceful shutdown it stops taking requests and lets handlers finish.
public struct RPCService: Service {
    public let server: RPCServer

    public init(server: RPCServer) {
        self.server = server
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await server.run()
        } onGracefulShutdown: {
            server.shutdown()
        }
    }
}
