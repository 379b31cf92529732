/// The roles a token can carry. A closed set, so a typo in an admin request is a 400 instead of a role nobody checks.
enum Role: String, CaseIterable, Sendable {
    case viewer
    case `operator`
    case admin

    static let names = Role.allCases.map(\.rawValue)

    /// Sorted, de-duplicated role names in the canonical order (viewer, operator, admin), or nil if one is unknown.
    static func normalize(_ names: [String]) -> [String]? {
        var wanted = Set<Role>()
        for name in names {
            guard let role = Role(rawValue: name) else { return nil }
            wanted.insert(role)
        }
        return Role.allCases.filter(wanted.contains).map(\.rawValue)
    }
}
