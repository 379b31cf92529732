import OpenSSLCrypto
import SwitchboardProtocol

/// The canonical JSON of the active menus, whose MD5 is the `checksum` of `GET /api/menu/version` and its `ETag`.
///
/// The form, byte for byte (so any client can recompute it):
/// - a JSON array of the **active** menus (`is_active` true), sorted by `key` in byte order (keys are ASCII);
/// - each menu an object with exactly these keys in this order:
///   `key`, `name`, `icon`, `url`, `sort_order`, `parent`, `required_permission`;
/// - no whitespace anywhere; `sort_order` a decimal integer (`-` for negatives, no leading zeros);
///   `icon`, `url`, `parent`, `required_permission` are `null` when absent (an empty string is stored as absent);
/// - strings escape only `"` → `\"`, `\` → `\\`, and U+0000–U+001F (`\b \f \n \r \t`, others `\u00xx` lowercase hex);
///   everything else, `/` and non-ASCII included, is written as UTF-8.
///
/// `is_active` (always true here) and `updated_at` are left out, so the checksum reflects content only: rewriting a
/// menu with equal content, or touching an inactive one, leaves it unchanged. The empty store is `[]`, whose MD5 is
/// `d751713988987e9331980363e24189ce`. This is what `JSON.stringify(menus.map(m => ({key, name, icon, url,
/// sort_order, parent, required_permission})))` gives in JavaScript, and Python's `json.dumps(…, ensure_ascii=False,
/// separators=(",", ":"))`.
enum CanonicalJSON {
    /// The canonical text of `menus` (inactive ones are dropped here, so callers can pass them all).
    static func text(of menus: [Menu]) -> String {
        let active = menus.filter(\.isActive).sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var out = "["
        for (index, menu) in active.enumerated() {
            if index > 0 { out += "," }
            out += "{\"key\":" + quoted(menu.key)
            out += ",\"name\":" + quoted(menu.name)
            out += ",\"icon\":" + optional(menu.icon)
            out += ",\"url\":" + optional(menu.url)
            out += ",\"sort_order\":" + String(menu.sortOrder)
            out += ",\"parent\":" + optional(menu.parent)
            out += ",\"required_permission\":" + optional(menu.requiredPermission)
            out += "}"
        }
        return out + "]"
    }

    /// MD5 hex (lowercase) of the canonical text.
    static func checksum(of menus: [Menu]) -> String {
        Hex.encode(Digest.md5(Array(text(of: menus).utf8)))
    }

    static func optional(_ value: String?) -> String {
        value.map(quoted) ?? "null"
    }

    /// A JSON string literal with the minimal escaping described above (the one escaper, `JSONWriter`).
    static func quoted(_ value: String) -> String {
        JSONWriter.quoted(value)
    }
}
