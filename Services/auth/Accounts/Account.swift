/// One user as stored in `user:{name}`: who, what they may do, since when, and how to check their password.
struct Account: Sendable {
    let name: String
    let roles: [String]
    /// Unix seconds.
    let createdAt: Int
    let password: PasswordHash
    /// What `password` was derived from; `.plain` for records older than the field.
    var scheme: PasswordScheme = .md5Hex
    /// The number the VoltageEMS API shows as `id` (`users:next_id`); nil for records older than the field until
    /// `AccountStore.ensureID` gives them one.
    var id: Int? = nil
    /// Unix seconds of the last successful login; nil when there was none since the field exists.
    var lastLogin: Int? = nil
    /// Unix seconds of the last change of roles or password; nil for records older than the field.
    var updatedAt: Int? = nil
}
