import ServiceKit

// Features of the menu service arrive with their issues; the runtime, lock and sys.health are already real.
let host = ServiceHost.bootOrExit("menu", endpoint: { $0.endpoint(for: .menu) })
try await host.run()
