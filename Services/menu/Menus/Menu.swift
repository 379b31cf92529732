/// One menu module as stored in its `menu:{key}` hash and answered by the API.
///
/// Optional text fields (`icon`, `url`, `parent`, `required_permission`) are stored as empty strings when absent and
/// answered as `null`, so "absent" has exactly one form in Redis, in JSON and in the checksum.
struct Menu: Sendable, Equatable {
    var key: String
    var name: String
    var icon: String?
    var url: String?
    var sortOrder: Int
    var isActive: Bool
    var parent: String?
    var requiredPermission: String?
    /// Unix seconds of the last write of this menu; not part of the checksum.
    var updatedAt: Int

    /// Redis key of one menu's hash.
    static func redisKey(_ key: String) -> String { "menu:\(key)" }
    static let redisKeyPrefix = "menu:"

    /// Keys that would collide with the service's own `menu:*` keys or routes, so no menu may use them.
    static let reservedKeys: Set<String> = ["version", "log", "meta"]

    /// A valid key: 1–64 ASCII letters, digits, `_`, `-` or `.`, and not reserved. ASCII keeps the sort order of the
    /// checksum's canonical form the same in every language.
    static func isValidKey(_ key: String) -> Bool {
        (1...64).contains(key.utf8.count) && !reservedKeys.contains(key)
            && key.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
                    || byte == 0x2E
            }
    }

    /// The hash fields a write stores, in the order the write script compares them (without `updated_at`).
    var contentFields: [String] {
        [
            "key", key, "name", name, "icon", icon ?? "", "url", url ?? "", "sort_order", String(sortOrder), "is_active", isActive ? "1" : "0",
            "parent", parent ?? "", "required_permission", requiredPermission ?? "",
        ]
    }

    /// Reads a menu from its `HGETALL` field/value pairs; nil when the hash is gone or has no key/name.
    init?(hash pairs: [String]) {
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < pairs.count {
            fields[pairs[index]] = pairs[index + 1]
            index += 2
        }
        guard let key = fields["key"], !key.isEmpty, let name = fields["name"] else { return nil }
        func optional(_ field: String) -> String? {
            guard let value = fields[field], !value.isEmpty else { return nil }
            return value
        }
        self.init(
            key: key,
            name: name,
            icon: optional("icon"),
            url: optional("url"),
            sortOrder: fields["sort_order"].flatMap { Int($0) } ?? 0,
            isActive: fields["is_active"] != "0",
            parent: optional("parent"),
            requiredPermission: optional("required_permission"),
            updatedAt: fields["updated_at"].flatMap { Int($0) } ?? 0
        )
    }

    init(
        key: String,
        name: String,
        icon: String?,
        url: String?,
        sortOrder: Int,
        isActive: Bool,
        parent: String?,
        requiredPermission: String?,
        updatedAt: Int
    ) {
        self.key = key
        self.name = name
        self.icon = icon
        self.url = url
        self.sortOrder = sortOrder
        self.isActive = isActive
        self.parent = parent
        self.requiredPermission = requiredPermission
        self.updatedAt = updatedAt
    }

    /// Menus ordered for a tree level: `sort_order`, then key.
    static func siblingOrder(_ lhs: Menu, _ rhs: Menu) -> Bool {
        lhs.sortOrder != rhs.sortOrder ? lhs.sortOrder < rhs.sortOrder : lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
    }
}
