import Bus
import Logging
import ServiceLifecycle

/// Keeps an unauthenticated bus loud and stops the ZAP handler last.
///
/// With `SWITCHBOARD_BUS_INSECURE=1` and `tcp://` endpoints without keys, it logs a warning every `interval` for as long as
/// the process runs, so nobody leaves it on by accident; on shutdown it stops the ZAP thread of `BusSecurity`.
public struct BusSecurityService: Service {
    let security: BusSecurity
    let logger: Logger
    let interval: Duration

    /// `interval` defaults to `SWITCHBOARD_BUS_INSECURE_WARN_SECONDS`, else 60 s.
    public init(security: BusSecurity = .shared, logger: Logger, interval: Duration? = nil) {
        self.security = security
        self.logger = logger
        let seconds = SwitchboardConfig().int("SWITCHBOARD_BUS_INSECURE_WARN_SECONDS", default: 60)
        self.interval = interval ?? .seconds(max(seconds, 1))
    }

    /// List it first in a `ServiceGroup`: groups shut down in reverse order, so the ZAP thread outlives the sockets.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                let endpoints = security.insecureEndpoints
                if !endpoints.isEmpty {
                    logger.warning("bus: SWITCHBOARD_BUS_INSECURE=1: \(endpoints.joined(separator: ", ")) unauthenticated; run `switchboard keys`")
                }
            }
        }
        security.stop()
    }
}
