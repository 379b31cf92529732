import Foundation
import ServiceKit

/// The body of `PUT /api/menu/{key}`, validated into the menu to store.
///
/// PUT replaces the whole menu: omitted optional fields take their defaults (`sort_order` 0, `is_active` true, others
/// absent). Every rule is checked before Redis is touched, so a refused body changes nothing — not even the version.
struct MenuInput: Decodable, Sendable {
    let key: String?
    let name: String
    let icon: String?
    let url: String?
    let sortOrder: Int?
    let isActive: Bool?
    let parent: String?
    let requiredPermission: String?
    let reason: String?

    enum CodingKeys: String, CodingKey {
        case key, name, icon, url, parent, reason
        case sortOrder = "sort_order"
        case isActive = "is_active"
        case requiredPermission = "required_permission"
    }

    static let maxName = 100
    static let maxIcon = 200
    static let maxURL = 500
    static let maxReason = 500
    static let sortOrderRange = -1_000_000_000...1_000_000_000

    /// The menu `key` would become, or a 400 naming the first rule broken.
    func validated(key pathKey: String) throws(HTTPError) -> (menu: Menu, reason: String?) {
        guard Menu.isValidKey(pathKey) else {
            throw Self.invalid("the key must be 1–64 letters, digits, _, - or . and not one of \(Menu.reservedKeys.sorted())")
        }
        if let key, key != pathKey { throw Self.invalid("the body's key \(key) differs from the path's \(pathKey)") }
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= Self.maxName else { throw Self.invalid("name must be 1–\(Self.maxName) characters") }
        let icon = icon.flatMap(\.nonEmpty)
        if let icon, icon.count > Self.maxIcon { throw Self.invalid("icon must be at most \(Self.maxIcon) characters") }
        let url = url.flatMap(\.nonEmpty)
        if let url, url.count > Self.maxURL { throw Self.invalid("url must be at most \(Self.maxURL) characters") }
        let sortOrder = sortOrder ?? 0
        guard Self.sortOrderRange.contains(sortOrder) else { throw Self.invalid("sort_order must be within ±1000000000") }
        let parent = parent.flatMap(\.nonEmpty)
        if let parent {
            guard Menu.isValidKey(parent) else { throw Self.invalid("parent \(parent) is not a valid menu key") }
            guard parent != pathKey else { throw Self.invalid("a menu cannot be its own parent") }
        }
        let permission = requiredPermission.flatMap(\.nonEmpty)
        if let permission, !Permission.isValidName(permission) {
            throw Self.invalid("required_permission must be 1–100 letters, digits, or . _ - :")
        }
        if let reason, reason.count > Self.maxReason { throw Self.invalid("reason must be at most \(Self.maxReason) characters") }
        let menu = Menu(
            key: pathKey, name: name, icon: icon, url: url, sortOrder: sortOrder, isActive: isActive ?? true, parent: parent,
            requiredPermission: permission, updatedAt: 0)
        return (menu, reason.flatMap(\.nonEmpty))
    }

    static func invalid(_ message: String) -> HTTPError {
        HTTPError(400, "invalid_menu", message)
    }
}

extension String {
    /// nil for an empty string, so "" and absent mean the same.
    var nonEmpty: String? { isEmpty ? nil : self }
}
