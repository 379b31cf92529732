/// The VoltageEMS gateway's three roles (its `roles` table, ids 1–3), on which its dashboard gates pages by `name_en`,
/// and how they map onto Switchboard's roles: Admin ↔ admin, Engineer ↔ operator, Viewer ↔ viewer.
enum VoltageEMSRole: Int, CaseIterable, Sendable {
    case admin = 1
    case engineer = 2
    case viewer = 3

    /// The role a registration gets without `role_id`, as in the old gateway.
    static let registrationDefault = VoltageEMSRole.viewer

    /// The highest of a Switchboard account's roles (an account may hold several; the dashboard shows one). An account
    /// with none shows as a Viewer, which grants nothing the account does not have.
    init(roles: [String]) {
        if roles.contains(Role.admin.rawValue) {
            self = .admin
        } else if roles.contains(Role.operator.rawValue) {
            self = .engineer
        } else {
            self = .viewer
        }
    }

    var switchboardRole: Role {
        switch self {
        case .admin: .admin
        case .engineer: .operator
        case .viewer: .viewer
        }
    }

    /// The old gateway's own names and descriptions (its `_initialize_roles`), so the dashboard shows what it always did.
    var nameEN: String {
        switch self {
        case .admin: "Admin"
        case .engineer: "Engineer"
        case .viewer: "Viewer"
        }
    }

    var nameZH: String {
        switch self {
        case .admin: "管理员"
        case .engineer: "工程师"
        case .viewer: "查看者"
        }
    }

    var description: String {
        switch self {
        case .admin: "系统管理员，拥有所有权限"
        case .engineer: "工程师，可以进行设备操作和配置"
        case .viewer: "只读用户，只能查看数据"
        }
    }

    /// `role` as `/me` and registration show it.
    struct View: Encodable, Sendable {
        let id: Int
        let nameEN: String
        let nameZH: String
        let description: String

        enum CodingKeys: String, CodingKey {
            case id
            case nameEN = "name_en"
            case nameZH = "name_zh"
            case description
        }
    }

    var view: View { View(id: rawValue, nameEN: nameEN, nameZH: nameZH, description: description) }
}
