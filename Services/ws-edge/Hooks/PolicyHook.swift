import Bus
import Logging
import ServiceKit
import SwitchboardProtocol

/// Connection policy (priority 100): the per-IP connection limit counted across all edges by auth. (Blocked IPs are
/// refused before any hook, from the edge's local copy of the blocklist: `WebSocketRoutes.decide`, `LocalPolicy`.)
///
/// Nothing here fails open silently. When auth cannot be asked, the limit falls back to this edge's own count of the address's open connections
/// against the last limit auth reported — weaker than the global count (other edges' connections are not seen) but
/// never unlimited — and a warning is logged. The edge's periodic sync restores exact global counts once auth is back.
struct PolicyHook: Hook {
    let name = "auth-policy"
    let priority = HookPriority.auth
    let auth: RPCClient
    let edgeID: String
    let policy: LocalPolicy
    let registry: ConnectionRegistry
    let logger: Logger

    func beforeConnect(_ attempt: ConnectionAttempt) async throws -> HookDecision {
        let decision: PolicyDecision
        do {
            decision = try await auth.call(
                PolicyAdmit.self,
                .init(edgeID: edgeID, ip: attempt.ip, user: attempt.principal?.user),
                timeout: .seconds(2)
            )
        } catch {
            return localAdmission(attempt.ip, because: error)
        }
        guard !decision.allowed else {
            registry.reservations.reserve(IPAddress.key(attempt.ip))
            return .proceed
        }
        let status = decision.code == "ip_blocked" ? 403 : 429
        return .reject(
            status: status,
            code: decision.code ?? "refused",
            message: decision.message ?? "connection refused by policy",
            retryAfterSeconds: decision.retryAfterSeconds
        )
    }

    /// The per-IP limit from this edge's own count, used while auth does not answer.
    private func localAdmission(_ ip: String, because error: RPCError) -> HookDecision {
        let limit = policy.maxConnectionsPerIP
        let open = registry.count(forPolicyKey: IPAddress.key(ip))
        logger.warning("auth did not answer admission (\(error.code)); per-IP limit from this edge's count: \(open) of \(limit)")
        guard open >= limit else {
            registry.reservations.reserve(IPAddress.key(ip))
            return .proceed
        }
        return .reject(
            status: 429,
            code: "too_many_connections",
            message: "\(ip) already has \(open) connections on this edge (limit \(limit))",
            retryAfterSeconds: 5
        )
    }

    func onDisconnect(_ connection: Connection) async throws {
        _ = try await auth.call(PolicyRelease.self, .init(edgeID: edgeID, ip: connection.ip), timeout: .seconds(2))
    }
}

/// Per-user (or per-IP policy key for anonymous) message rate limit from auth's token bucket (priority 80).
///
/// When auth does not answer, the hook fails and is skipped (messages pass): the per-connection frame size and
/// outbound queue bounds still hold, and refusing every message while auth restarts would stop all clients.
struct RateLimitHook: Hook {
    let name = "rate-limit"
    let priority = HookPriority.rateLimit
    let auth: RPCClient

    func beforeMessage(_ message: ClientMessage, on connection: Connection) async throws -> HookDecision {
        let subject = connection.principal.map { "user:\($0.user)" } ?? "ip:\(IPAddress.key(connection.ip))"
        let decision = try await auth.call(RateCheck.self, .init(subject: subject, kind: "message"), timeout: .seconds(1))
        guard !decision.allowed else { return .proceed }
        return .reject(
            status: 429,
            code: ErrorCode.rateLimited.rawValue,
            message: decision.message ?? "too many messages; slow down",
            retryAfterSeconds: decision.retryAfterSeconds
        )
    }
}
