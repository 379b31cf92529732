/// A user as the VoltageEMS API shows it (`GET /api/v1/auth/me`), field for field what its dashboard reads
/// (`apps/src/types/user.ts`, `UserInfo`): `id`, `username`, `is_active`, `last_login`, `created_at`, `updated_at` and
/// `role {id, name_en, name_zh, description}`.
///
/// Times are UTC `YYYY-MM-DD HH:MM:SS`, the old gateway's SQLite `CURRENT_TIMESTAMP` text; `last_login` is null before the
/// first login. Switchboard has no disabled accounts, so `is_active` is always true.
struct VoltageEMSUser: Encodable, Sendable {
    let id: Int
    let username: String
    let lastLogin: Int?
    let createdAt: Int
    let updatedAt: Int
    let role: VoltageEMSRole

    init(_ account: Account, id: Int) {
        self.id = id
        username = account.name
        lastLogin = account.lastLogin
        createdAt = account.createdAt
        updatedAt = account.updatedAt ?? account.createdAt
        role = VoltageEMSRole(roles: account.roles)
    }

    enum CodingKeys: String, CodingKey {
        case id, username, role
        case isActive = "is_active"
        case lastLogin = "last_login"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(username, forKey: .username)
        try container.encode(true, forKey: .isActive)
        try container.encode(lastLogin.map(Self.timestamp), forKey: .lastLogin)
        try container.encode(Self.timestamp(createdAt), forKey: .createdAt)
        try container.encode(Self.timestamp(updatedAt), forKey: .updatedAt)
        try container.encode(role.view, forKey: .role)
    }

    /// Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC), by the days-to-civil algorithm; values outside years 1970–9999 are
    /// clamped, so a damaged record cannot overflow the arithmetic.
    static func timestamp(_ seconds: Int) -> String {
        let seconds = min(max(seconds, 0), 253_402_300_799)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Howard Hinnant's civil_from_days, for days since 1970-01-01 (non-negative here).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return "\(year)-\(pad(month))-\(pad(day)) \(pad(secondOfDay / 3600)):\(pad(secondOfDay % 3600 / 60)):\(pad(secondOfDay % 60))"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}

/// What a registration answers in `data`, as the old gateway's `register_user` did: `user_id`, `username`, `role`.
struct VoltageEMSRegistration: Encodable, Sendable {
    let userID: Int
    let username: String
    let role: VoltageEMSRole.View

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case username, role
    }
}

/// The token pair in `data` of login and refresh (`apps/src/types/user.ts`, `LoginResponse`): `token_type` is the old
/// gateway's lowercase `bearer`.
struct VoltageEMSTokens: Encodable, Sendable {
    let accessToken: String
    let refreshToken: String
    let tokenType = "bearer"
    let expiresIn: Int

    init(_ session: Session) {
        accessToken = session.accessToken
        refreshToken = session.refreshToken
        expiresIn = session.expiresIn
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }
}
