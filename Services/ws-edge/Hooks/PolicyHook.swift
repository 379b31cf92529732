import Bus
import SwitchboardProtocol

/// Connection policy from auth (priority 100): blocked IPs and the per-IP connection limit, counted across all edges.
///
/// If auth is unreachable the hook fails and is skipped (connections are admitted): losing the limit for a while is
/// better than refusing every client while auth restarts. The edge's periodic sync restores exact counts afterwards.
struct PolicyHook: Hook {
    let name = "auth-policy"
    let priority = HookPriority.auth
    let auth: RPCClient
    let edgeID: String

    func beforeConnect(_ attempt: ConnectionAttempt) async throws -> HookDecision {
        let decision = try await auth.call(
            PolicyAdmit.self,
            .init(edgeID: edgeID, ip: attempt.ip, user: attempt.principal?.user),
            timeout: .seconds(2)
        )
        guard !decision.allowed else { return .proceed }
        let status = decision.code == "ip_blocked" ? 403 : 429
        return .reject(
            status: status,
            code: decision.code ?? "refused",
            message: decision.message ?? "connection refused by policy",
            retryAfterSeconds: decision.retryAfterSeconds
        )
    }

    func onDisconnect(_ connection: Connection) async throws {
        _ = try await auth.call(PolicyRelease.self, .init(edgeID: edgeID, ip: connection.ip), timeout: .seconds(2))
    }
}

/// Per-user (or per-IP for anonymous) message rate limit from auth's token bucket (priority 80).
struct RateLimitHook: Hook {
    let name = "rate-limit"
    let priority = HookPriority.rateLimit
    let auth: RPCClient

    func beforeMessage(_ message: ClientMessage, on connection: Connection) async throws -> HookDecision {
        let subject = connection.principal.map { "user:\($0.user)" } ?? "ip:\(connection.ip)"
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
