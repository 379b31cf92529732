/// The menus a caller may see, as a tree: children under their parent, each level sorted by `sort_order` then key.
///
/// A menu is visible when it is active, the caller's grants allow its `required_permission` (menus without one are
/// public), and its parent is visible — a hidden or inactive parent hides its whole branch, so a tree never shows a
/// child without the way to it.
enum MenuTree {
    /// `includeHidden` (admins editing menus) keeps inactive and restricted menus too.
    static func build(_ menus: [Menu], grants: Set<String>, includeHidden: Bool = false) -> [MenuView] {
        let byKey = Dictionary(menus.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        func ownVisible(_ menu: Menu) -> Bool {
            includeHidden || (menu.isActive && menu.requiredPermission.map { Permission.allows(grants, $0) } ?? true)
        }
        var children: [String: [Menu]] = [:]
        var roots: [Menu] = []
        for menu in menus where ownVisible(menu) {
            if let parent = menu.parent, byKey[parent] != nil {
                children[parent, default: []].append(menu)
            } else {
                roots.append(menu)
            }
        }
        // Children of an invisible parent are never reached from a root, which is what hides the branch.
        func node(_ menu: Menu, depth: Int) -> MenuView {
            let kids = depth < 64 ? (children[menu.key] ?? []).sorted(by: Menu.siblingOrder).map { node($0, depth: depth + 1) } : []
            return MenuView(menu, children: kids)
        }
        return roots.sorted(by: Menu.siblingOrder).map { node($0, depth: 0) }
    }
}
