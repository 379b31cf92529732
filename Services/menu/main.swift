import Bus
import Foundation
import ServiceHost
import ServiceKit

// SIGTERM/SIGINT from the first instruction on: a stop during start-up drains once the service group listens.
EarlySignals.hold()

// Menus, their versions and change log, role permissions, and the change notices pushed to every edge.
let health = MenuHealth()
let host = ServiceHost.bootOrExit("menu", endpoint: { $0.endpoint(for: .menu) }) { await health.details() }
let pusher: IngestPusher
do {
    pusher = try IngestPusher(endpoint: host.config.ingestConnectEndpoints)
} catch {
    host.logger.critical("menu cannot set up its ingest pipe \(host.config.ingestEndpoint): \(error)")
    exit(1)
}
let logger = host.logger
let snapshots = MenuSnapshots(redis: host.redis)
health.attach(snapshots)
let store = MenuStore(snapshots: snapshots, logCap: max(MenuScripts.recentChanges, host.config.int("SWITCHBOARD_MENU_LOG_CAP", default: 200)))
let permissions = PermissionStore(redis: host.redis)
let publisher = ChangePublisher(pusher: pusher, logger: logger)

host.serveHTTP(
    HTTPRoutes { routes in
        MenuRoutes(snapshots: snapshots, store: store, permissions: permissions, publisher: publisher, logger: logger).register(into: &routes)
        PermissionRoutes(permissions: permissions, publisher: publisher, logger: logger).register(into: &routes)
    })
PermissionCheckCommand.register(on: host.rpc, permissions: permissions)
Task { await permissions.seedDefaultsWhenReachable(logger: logger) }
try await host.run(services: [publisher])
