import ServiceKit

/// Every knob of the auth service, read once at start from `SWITCHBOARD_*` variables.
///
/// Kept in one value so handlers never read the environment themselves, and so production rules (the KDF cost floor)
/// are checked in one place before the service binds anything.
struct AuthSettings: Sendable {
    /// The floor for PBKDF2-SHA256 iterations outside tests (OWASP's 2023 guidance is 600k for SHA-256; 100k is our minimum).
    static let productionMinimumIterations = 100_000
    static let defaultIterations = 120_000

    let pbkdf2Iterations: Int
    let accessTTLSeconds: Int
    let refreshTTLSeconds: Int
    let maxConnectionsPerIP: Int
    /// How long an edge's counts live when it admits before its first `auth.policy.sync`.
    let connectionLeaseSeconds: Int
    let messageRatePerSecond: Double
    let messageBurst: Double
    let questionRatePerMinute: Double
    /// Login attempts per client IP per minute (also the burst); 0 turns the limit off (benchmarks).
    let loginRatePerMinute: Double
    /// Registrations per client IP per minute (also the burst); 0 turns the limit off (benchmarks, chaos runs).
    let registerRatePerMinute: Double
    let adminUser: String?
    let adminPassword: String?
    /// What anonymous callers may do (auth decides the rooms part).
    let anonymous: AnonymousAccess

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(config: SwitchboardConfig) throws(Invalid) {
        pbkdf2Iterations = config.int("SWITCHBOARD_PBKDF2_ITERATIONS", default: Self.defaultIterations)
        accessTTLSeconds = config.int("SWITCHBOARD_ACCESS_TTL_SECONDS", default: 900)
        refreshTTLSeconds = config.int("SWITCHBOARD_REFRESH_TTL_SECONDS", default: 7 * 24 * 3600)
        maxConnectionsPerIP = config.int("SWITCHBOARD_MAX_CONNECTIONS_PER_IP", default: 10)
        connectionLeaseSeconds = config.int("SWITCHBOARD_CONNECTION_LEASE_SECONDS", default: 90)
        messageRatePerSecond = config.double("SWITCHBOARD_MESSAGE_RATE", default: 20)
        messageBurst = config.double("SWITCHBOARD_MESSAGE_BURST", default: 40)
        questionRatePerMinute = config.double("SWITCHBOARD_QUESTION_RATE_PER_MIN", default: 5)
        loginRatePerMinute = config.double("SWITCHBOARD_LOGIN_RATE_PER_MIN", default: 10)
        registerRatePerMinute = config.double("SWITCHBOARD_REGISTER_RATE_PER_MIN", default: 5)
        let user = config.environment["SWITCHBOARD_ADMIN_USER"].flatMap { $0.isEmpty ? nil : $0 }
        let password = config.environment["SWITCHBOARD_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        adminUser = user
        adminPassword = password
        anonymous = AnonymousAccess(config: config)

        guard pbkdf2Iterations >= 1, pbkdf2Iterations <= 10_000_000 else {
            throw Invalid(description: "SWITCHBOARD_PBKDF2_ITERATIONS must be between 1 and 10000000 (got \(pbkdf2Iterations))")
        }
        if config.isProduction && pbkdf2Iterations < Self.productionMinimumIterations {
            throw Invalid(
                description:
                    "SWITCHBOARD_PBKDF2_ITERATIONS must be at least \(Self.productionMinimumIterations) in production (got \(pbkdf2Iterations))")
        }
        for (name, value) in [
            ("SWITCHBOARD_ACCESS_TTL_SECONDS", accessTTLSeconds), ("SWITCHBOARD_REFRESH_TTL_SECONDS", refreshTTLSeconds),
            ("SWITCHBOARD_MAX_CONNECTIONS_PER_IP", maxConnectionsPerIP), ("SWITCHBOARD_CONNECTION_LEASE_SECONDS", connectionLeaseSeconds),
        ] where value < 1 {
            throw Invalid(description: "\(name) must be a positive number of seconds or connections (got \(value))")
        }
        guard messageRatePerSecond > 0, messageBurst >= 1, questionRatePerMinute > 0, loginRatePerMinute >= 0, registerRatePerMinute >= 0 else {
            throw Invalid(
                description:
                    "rate limits must be positive (SWITCHBOARD_MESSAGE_RATE, _MESSAGE_BURST ≥ 1, _QUESTION_RATE_PER_MIN; _LOGIN_RATE_PER_MIN and _REGISTER_RATE_PER_MIN ≥ 0)"
            )
        }
        if (user == nil) != (password == nil) {
            throw Invalid(description: "set both SWITCHBOARD_ADMIN_USER and SWITCHBOARD_ADMIN_PASSWORD, or neither")
        }
    }
}
