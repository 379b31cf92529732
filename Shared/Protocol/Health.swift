/// `sys.health`: every service answers it, so the edge's `/health` and the launcher's `status` can see the whole system.
public enum SystemHealth: RPCMethod {
    public typealias Params = NoParams
    public typealias Result = HealthReport
    public static let name = "sys.health"
}

/// One service's view of itself.
public struct HealthReport: Codable, Sendable, Equatable {
    public var service: String
    public var version: String
    public var pid: Int32
    public var uptimeSeconds: Double
    public var redis: RedisHealth
    /// Service-specific facts (upstream state for the signer, group counts for the scheduler, …).
    public var details: [String: String]

    public init(service: String, version: String, pid: Int32, uptimeSeconds: Double, redis: RedisHealth, details: [String: String] = [:]) {
        self.service = service
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.redis = redis
        self.details = details
    }
}

/// Whether a process can reach Redis, and how fast.
public struct RedisHealth: Codable, Sendable, Equatable {
    public var reachable: Bool
    public var latencyMs: Double?
    public var error: String?

    public init(reachable: Bool, latencyMs: Double? = nil, error: String? = nil) {
        self.reachable = reachable
        self.latencyMs = latencyMs
        self.error = error
    }
}

/// `sys.metrics`: the service's Prometheus text, so the edge's `/metrics` can show every process in one scrape.
public enum SystemMetrics: RPCMethod {
    public typealias Params = NoParams
    public struct Result: Codable, Sendable {
        public var text: String
        public init(text: String) { self.text = text }
    }
    public static let name = "sys.metrics"
}
