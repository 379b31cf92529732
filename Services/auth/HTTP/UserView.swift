/// A user as the HTTP API shows it (`/me`, registration, role changes): never the password material.
struct UserView: Encodable, Sendable {
    let user: String
    let roles: [String]
    let createdAt: Int

    enum CodingKeys: String, CodingKey {
        case user, roles
        case createdAt = "created_at"
    }

    init(_ account: Account) {
        user = account.name
        roles = account.roles
        createdAt = account.createdAt
    }
}
