import ServiceKit

// Features of the auth service arrive with their issues; the runtime, lock and sys.health are already real.
let host = ServiceHost.bootOrExit("auth", endpoint: { $0.endpoint(for: .auth) })
try await host.run()
