import ServiceKit

// Features of the signer service arrive with their issues; the runtime, lock and sys.health are already real.
let host = ServiceHost.bootOrExit("signer", endpoint: { $0.endpoint(for: .signer) })
try await host.run()
