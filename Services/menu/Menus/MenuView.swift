/// A menu as the HTTP API answers it: snake_case fields, `null` for absent optional values (never a missing key, so
/// clients see one shape), and `children` when it is a node of the `GET /api/menu` tree.
struct MenuView: Encodable, Sendable {
    let menu: Menu
    let children: [MenuView]?

    init(_ menu: Menu, children: [MenuView]? = nil) {
        self.menu = menu
        self.children = children
    }

    enum CodingKeys: String, CodingKey {
        case key, name, icon, url, parent, children
        case sortOrder = "sort_order"
        case isActive = "is_active"
        case requiredPermission = "required_permission"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(menu.key, forKey: .key)
        try container.encode(menu.name, forKey: .name)
        try container.encode(menu.icon, forKey: .icon)
        try container.encode(menu.url, forKey: .url)
        try container.encode(menu.sortOrder, forKey: .sortOrder)
        try container.encode(menu.isActive, forKey: .isActive)
        try container.encode(menu.parent, forKey: .parent)
        try container.encode(menu.requiredPermission, forKey: .requiredPermission)
        try container.encode(menu.updatedAt, forKey: .updatedAt)
        if let children { try container.encode(children, forKey: .children) }
    }
}
