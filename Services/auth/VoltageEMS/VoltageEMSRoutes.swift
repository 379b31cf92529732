import Logging
import ServiceKit
import SwitchboardProtocol

/// The VoltageEMS gateway's account API under `/api/v1/auth`, as its dashboard calls it (`apps/src/api/user.ts`,
/// `apps/src/stores/user.ts`) and its gateway answered (`services/apigateway/app/routers/auth.py`): MD5-hex passwords,
/// `{success, message, data}` bodies, roles Admin/Engineer/Viewer. Same accounts, sessions and limits as `/api/auth`.
///
/// A wrong password is a 200 with `success: false`, as before: the dashboard turns a 401 into "session expired" and
/// tries a refresh. A bad or missing token is a 401 (the dashboard then refreshes and retries); a failed refresh is a
/// 401 (it goes to the login page).
struct VoltageEMSRoutes: Sendable {
    let auth: AuthComponents
    let logger: Logger

    /// `{username, password}`, the native login's body; here the password is its MD5 hex.
    typealias Login = AccountRoutes.Credentials

    struct Registration: Decodable, Sendable {
        let username: String
        let password: String
        let roleID: Int?

        enum CodingKeys: String, CodingKey {
            case username, password
            case roleID = "role_id"
        }
    }

    func register(into routes: inout HTTPRoutes.Builder) {
        routes.on("POST", "/api/v1/auth/login") { call in await VoltageEMSEnvelope.wrap { try await login(call) } }
        routes.on("POST", "/api/v1/auth/refresh") { call in await VoltageEMSEnvelope.wrap { try await refresh(call) } }
        routes.on("POST", "/api/v1/auth/logout") { call in await VoltageEMSEnvelope.wrap { try await logout(call) } }
        routes.on("GET", "/api/v1/auth/me") { call in await VoltageEMSEnvelope.wrap { try await me(call) } }
        routes.on("POST", "/api/v1/auth/register") { call in await VoltageEMSEnvelope.wrap { try await register(call) } }
    }

    static let wrongCredentials = "wrong user name or password"

    func login(_ call: HTTPCall) async throws -> ForwardedResponse {
        let body = try call.decodeBounded(Login.self)
        guard PasswordScheme.canonicalMD5(body.password) != nil else {
            throw HTTPError(400, "invalid_input", Accounts.md5FormProblem)
        }
        try await auth.limitPerIP(call, kind: RateLimiter.loginKind, what: "login attempts")
        guard let account = try await auth.accounts.authenticate(name: body.username, md5: body.password) else {
            return VoltageEMSEnvelope.failure(200, "invalid_credentials", Self.wrongCredentials)
        }
        let session = try await auth.sessions.start(user: account.name, roles: account.roles)
        return VoltageEMSEnvelope.success("Login successful", VoltageEMSTokens(session))
    }

    /// Rotation and reuse detection are the native route's: a reused token revokes its whole family.
    func refresh(_ call: HTTPCall) async throws -> ForwardedResponse {
        let session = try await AccountRoutes(auth: auth, logger: logger).rotatedSession(call)
        return VoltageEMSEnvelope.success("Token refreshed", VoltageEMSTokens(session))
    }

    /// Needs the access token, as the old gateway's did, and revokes the session of the refresh token in the body.
    /// Idempotent: an already dead refresh token is still a success.
    func logout(_ call: HTTPCall) async throws -> ForwardedResponse {
        _ = try call.requirePrincipal()
        let body = try call.decodeBounded(AccountRoutes.RefreshBody.self)
        let revoked = try await auth.sessions.refreshTokens.revoke(body.refreshToken)
        return VoltageEMSEnvelope.success(revoked ? "Logout successful" : "Logout successful (the session had already ended)")
    }

    /// The caller's account as it is now (role changes show at once, as the old gateway read them from its database).
    func me(_ call: HTTPCall) async throws -> ForwardedResponse {
        let principal = try call.requirePrincipal()
        guard let account = try await auth.accounts.store.find(principal.user), let id = try await auth.accounts.store.ensureID(principal.user)
        else {
            throw HTTPError(401, "unknown_user", "the token's user \(principal.user) no longer exists")
        }
        return VoltageEMSEnvelope.success("User info", VoltageEMSUser(account, id: id))
    }

    /// The dashboard's "add user" (`userApi.addUser`), sent with the admin's token. Unlike the old gateway, whose
    /// registration was open to any role, only an admin caller may grant Engineer or Admin; anyone else gets a Viewer
    /// at most, under the same per-IP limit and reserved names as `/api/auth/register`. Admin callers are not limited.
    func register(_ call: HTTPCall) async throws -> ForwardedResponse {
        let body = try call.decodeBounded(Registration.self)
        let byAdmin = call.principal?.has(role: Role.admin.rawValue) ?? false
        if !byAdmin {
            try await auth.limitPerIP(call, kind: RateLimiter.registerKind, what: "registrations")
        }
        guard let role = VoltageEMSRole(rawValue: body.roleID ?? VoltageEMSRole.registrationDefault.rawValue) else {
            throw HTTPError(400, "invalid_input", "role_id must be 1 (Admin), 2 (Engineer) or 3 (Viewer)")
        }
        if role != .viewer && !byAdmin {
            throw HTTPError(403, "forbidden", "only an admin may register a user with role \(role.nameEN); without one, role_id must be 3 (Viewer)")
        }
        if let problem = ReservedNames.problem(userName: body.username) {
            throw HTTPError(403, "reserved_name", problem)
        }
        do {
            let account = try await auth.accounts.create(name: body.username, md5: body.password, roles: [role.switchboardRole.rawValue])
            if byAdmin, let admin = call.principal {
                logger.info("user registered by an admin", metadata: ["user": "\(account.name)", "role": "\(role.nameEN)", "by": "\(admin.user)"])
            }
            let data = VoltageEMSRegistration(userID: account.id ?? 0, username: account.name, role: role.view)
            return VoltageEMSEnvelope.success("User registered", data)
        } catch Accounts.Failure.invalid(let message) {
            throw HTTPError(400, "invalid_input", message)
        } catch Accounts.Failure.exists(let name) {
            throw HTTPError(409, "user_exists", "user \(name) already exists")
        }
    }
}
