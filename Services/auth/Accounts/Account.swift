/// One user as stored in `user:{name}`: who, what they may do, since when, and how to check their password.
struct Account: Sendable {
    let name: String
    let roles: [String]
    /// Unix seconds.
    let createdAt: Int
    let password: PasswordHash
}
