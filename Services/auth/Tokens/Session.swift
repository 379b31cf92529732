/// The answer to a login or a refresh: a short-lived access JWT for every request and the refresh token that renews it.
///
/// Field names are the OAuth 2 token response's (`access_token`, `token_type`, `expires_in`, `refresh_token`), so generic
/// clients understand it, plus who the tokens are for.
struct Session: Encodable, Sendable {
    let accessToken: String
    let tokenType = "Bearer"
    let expiresIn: Int
    let refreshToken: String
    let refreshExpiresIn: Int
    let user: String
    let roles: [String]

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case refreshExpiresIn = "refresh_expires_in"
        case user, roles
    }
}
