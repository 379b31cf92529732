import Bus
import Logging
import ServiceKit
import SwitchboardProtocol

/// The edge's connections to everything behind it: one RPC client per service, shared by all requests.
///
/// The edge holds no business logic and no Redis connection: what lives in Redis it reaches through the service that
/// owns it (edge statuses through the scheduler, Redis health through every service's `sys.health`).
final class Backends: Sendable {
    let clients: [ServiceName: RPCClient]

    init(config: SwitchboardConfig, logger: Logger) throws {
        var clients: [ServiceName: RPCClient] = [:]
        for service in ServiceName.allCases {
            clients[service] = try RPCClient(service: service.rawValue, endpoint: config.connectEndpoints(for: service), logger: logger)
        }
        self.clients = clients
    }

    func client(_ service: ServiceName) -> RPCClient {
        clients[service]!
    }

    func shutdown() {
        for client in clients.values { client.shutdown() }
    }
}
