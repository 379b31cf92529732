import Logging
import ServiceKit
import SwitchboardProtocol

/// The public account API: register, login, refresh, logout, me (DESIGN.md §4).
///
/// Wrong password and unknown user answer the same 401 after the same KDF work; refresh reuse revokes the session.
struct AccountRoutes: Sendable {
    let auth: AuthComponents
    let logger: Logger

    struct Credentials: Decodable, Sendable {
        let username: String
        let password: String
    }

    struct RefreshBody: Decodable, Sendable {
        let refreshToken: String

        enum CodingKeys: String, CodingKey {
            case refreshToken = "refresh_token"
        }
    }

    static let invalidCredentials = HTTPError(401, "invalid_credentials", "wrong user name or password")

    func register(into routes: inout HTTPRoutes.Builder) {
        routes.on("POST", "/api/auth/register") { call in try await StorageFailure.http { try await register(call) } }
        routes.on("POST", "/api/auth/login") { call in try await StorageFailure.http { try await login(call) } }
        routes.on("POST", "/api/auth/refresh") { call in try await StorageFailure.http { try await refresh(call) } }
        routes.on("POST", "/api/auth/logout") { call in try await StorageFailure.http { try await logout(call) } }
        routes.on("GET", "/api/auth/me") { call in try await StorageFailure.http { try await me(call) } }
    }

    /// New accounts are viewers; only an admin grants more (`PUT /api/auth/users/{name}/roles`). Limited per client IP
    /// (every attempt counts, so the limit also bounds probing which names exist) and refused for reserved names.
    func register(_ call: HTTPCall) async throws -> ForwardedResponse {
        let body = try call.decodeBounded(Credentials.self)
        try await auth.limitPerIP(call, kind: RateLimiter.registerKind, what: "registrations")
        if let problem = ReservedNames.problem(userName: body.username) {
            throw HTTPError(403, "reserved_name", problem)
        }
        do {
            let account = try await auth.accounts.create(name: body.username, password: body.password, roles: [Role.viewer.rawValue])
            return .json(UserView(account), status: 201)
        } catch Accounts.Failure.invalid(let message) {
            throw HTTPError(400, "invalid_input", message)
        } catch Accounts.Failure.exists(let name) {
            throw HTTPError(409, "user_exists", "user \(name) already exists")
        }
    }

    func login(_ call: HTTPCall) async throws -> ForwardedResponse {
        let body = try call.decodeBounded(Credentials.self)
        try await auth.limitPerIP(call, kind: RateLimiter.loginKind, what: "login attempts")
        guard let account = try await auth.accounts.authenticate(name: body.username, password: body.password) else {
            throw Self.invalidCredentials
        }
        return .json(try await auth.sessions.start(user: account.name, roles: account.roles))
    }

    func refresh(_ call: HTTPCall) async throws -> ForwardedResponse {
        .json(try await rotatedSession(call))
    }

    /// Rotates the body's refresh token into a new session: a reused token revokes the whole session and is logged.
    /// Shared by the native and the VoltageEMS refresh, which differ only in the answer's shape.
    func rotatedSession(_ call: HTTPCall) async throws -> Session {
        let body = try call.decodeBounded(RefreshBody.self)
        switch try await auth.sessions.refreshTokens.rotate(body.refreshToken) {
        case .rotated(let user, let token):
            guard let account = try await auth.accounts.store.find(user) else {
                throw HTTPError(401, "invalid_refresh_token", "the refresh token's user no longer exists")
            }
            return try await auth.sessions.session(user: user, roles: account.roles, refreshToken: token)
        case .reused(let user):
            logger.warning("refresh token reused: session revoked", metadata: ["user": "\(user)", "ip": "\(call.request.clientIP)"])
            throw HTTPError(401, "refresh_reused", "this refresh token was already used; the session is revoked, log in again")
        case .invalid:
            throw HTTPError(401, "invalid_refresh_token", "the refresh token is unknown, expired or revoked")
        }
    }

    /// Revokes the session of the token; idempotent, so a repeated logout is still a 204.
    func logout(_ call: HTTPCall) async throws -> ForwardedResponse {
        let body = try call.decodeBounded(RefreshBody.self)
        _ = try await auth.sessions.refreshTokens.revoke(body.refreshToken)
        return ForwardedResponse(status: 204, body: "")
    }

    func me(_ call: HTTPCall) async throws -> ForwardedResponse {
        let principal = try call.requirePrincipal()
        guard let account = try await auth.accounts.store.find(principal.user) else {
            throw HTTPError(401, "unknown_user", "the token's user \(principal.user) no longer exists")
        }
        return .json(UserView(account))
    }
}
