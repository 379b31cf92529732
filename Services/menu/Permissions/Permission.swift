/// Permission names and how a set of grants answers "may I do X?".
///
/// A grant is a permission name (`menu.view`), `*` (everything), or a prefix wildcard `name.*` (everything under
/// `name.`, e.g. `control.*` grants `control.send`). Names are 1–100 ASCII letters, digits and `. _ - :`; `*` is allowed
/// only in grants, so a checked permission is always a plain name.
enum Permission {
    static func isValidName(_ name: String) -> Bool {
        (1...100).contains(name.utf8.count) && name.utf8.allSatisfy(isNameByte)
    }

    /// A valid grant: a name, `*`, or `name.*`.
    static func isValid(_ grant: String) -> Bool {
        if grant == "*" { return true }
        if grant.hasSuffix(".*") { return isValidName(String(grant.dropLast(2))) }
        return isValidName(grant)
    }

    /// Whether `grants` allow `permission`.
    static func allows(_ grants: Set<String>, _ permission: String) -> Bool {
        if grants.contains("*") || grants.contains(permission) { return true }
        var prefix = Substring(permission)
        while let dot = prefix.lastIndex(of: ".") {
            prefix = prefix[..<dot]
            if grants.contains("\(prefix).*") { return true }
        }
        return false
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2E || byte == 0x5F || byte == 0x2D || byte == 0x3A
    }
}
