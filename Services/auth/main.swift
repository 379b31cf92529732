import AuthTokens
import Bus
import Foundation
import ServiceHost
import ServiceKit

// SIGTERM/SIGINT from the first instruction on: a stop during start-up drains once the service group listens.
EarlySignals.hold()

// Refuse unsafe or inconsistent configuration before taking the lock or binding anything.
let config = SwitchboardConfig.loadOrExit(service: "auth")
let secret: String
let settings: AuthSettings
do {
    secret = try JWTSecret.load(from: config)
    settings = try AuthSettings(config: config)
    if let user = settings.adminUser, let password = settings.adminPassword,
        let problem = CredentialRules.problem(userName: user) ?? CredentialRules.problem(password: password, userName: user)
    {
        throw AuthSettings.Invalid(description: "SWITCHBOARD_ADMIN_USER/SWITCHBOARD_ADMIN_PASSWORD: \(problem)")
    }
} catch {
    FileHandle.standardError.write(Data("auth cannot start: \(error)\n".utf8))
    exit(1)
}

let host = ServiceHost.bootOrExit("auth", endpoint: { $0.endpoint(for: .auth) }) {
    ["pbkdf2_iterations": String(settings.pbkdf2Iterations), "max_connections_per_ip": String(settings.maxConnectionsPerIP)]
}
let logger = host.logger
let notices: IngestPusher
do {
    notices = try IngestPusher(endpoint: host.config.ingestConnectEndpoints)
} catch {
    FileHandle.standardError.write(Data("auth cannot start: cannot connect to the ingest pipe: \(error)\n".utf8))
    exit(1)
}
let auth = AuthComponents(
    settings: settings, redis: host.redis, authority: await TokenAuthority(secret: secret), notices: notices, logger: logger)

host.serveHTTP(
    HTTPRoutes { routes in
        AccountRoutes(auth: auth, logger: logger).register(into: &routes)
        AdminRoutes(auth: auth, logger: logger).register(into: &routes)
        VoltageEMSRoutes(auth: auth, logger: logger).register(into: &routes)
    })
PolicyRPC.register(on: host.rpc, auth: auth)
UserAddRPC.register(on: host.rpc, accounts: auth.accounts)

if let user = settings.adminUser, let password = settings.adminPassword {
    Task { await AdminBootstrap(accounts: auth.accounts, user: user, password: password, logger: logger).run() }
}
Task {
    let cost = await auth.accounts.hasher.measure()
    logger.info("PBKDF2-SHA256 at \(settings.pbkdf2Iterations) iterations takes \(cost.milliseconds) ms per hash")
}
try await host.run()
