import AuthTokens

/// Mints sessions: an access JWT signed by the shared `TokenAuthority` (so the edge can verify it alone) paired with a
/// refresh token from the store. Roles always come from the account as it is now, so a role change applies at the next
/// login or refresh.
struct SessionIssuer: Sendable {
    let authority: TokenAuthority
    let refreshTokens: RefreshTokenStore
    let accessTTLSeconds: Int

    /// A login: a new refresh family.
    func start(user: String, roles: [String]) async throws -> Session {
        try await session(user: user, roles: roles, refreshToken: try await refreshTokens.issue(user: user))
    }

    /// A refresh: the access token for `refreshToken`, already rotated by the store.
    func session(user: String, roles: [String], refreshToken: String) async throws -> Session {
        let access = try await authority.issueAccess(user: user, roles: roles, lifetime: .seconds(accessTTLSeconds))
        return Session(
            accessToken: access.token, expiresIn: accessTTLSeconds, refreshToken: refreshToken, refreshExpiresIn: refreshTokens.ttlSeconds,
            user: user, roles: roles)
    }
}
