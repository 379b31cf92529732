import Bus
import Logging
import Redis
import ServiceKit
import SwitchboardProtocol

/// The edge's connections to everything behind it: one RPC client per service (shared by all requests) and Redis.
///
/// The edge holds no business logic; it only needs to reach the services, and Redis for its own health line.
final class Backends: Sendable {
    let clients: [ServiceName: RPCClient]
    let redis: RedisClient

    init(config: SwitchboardConfig, logger: Logger) throws {
        var clients: [ServiceName: RPCClient] = [:]
        for service in ServiceName.allCases {
            clients[service] = try RPCClient(service: service.rawValue, endpoint: config.connectEndpoints(for: service), logger: logger)
        }
        self.clients = clients
        redis = RedisClient(configuration: try config.redisConfiguration(), logger: Logger(label: "ws-edge.redis"))
    }

    func client(_ service: ServiceName) -> RPCClient {
        clients[service]!
    }

    func shutdown() {
        for client in clients.values { client.shutdown() }
        redis.shutdown()
    }
}
