/// `If-None-Match` against the current ETag (RFC 9110 §13.1.2): a list of tags, `W/` weak ones compared by their
/// opaque value, `*` matching any current representation.
///
/// Bare (unquoted) values are accepted as well, since hand-written clients often send the checksum itself.
enum EntityTag {
    static func matches(ifNoneMatch header: String?, etag: String) -> Bool {
        guard let header else { return false }
        let opaque = etag.trimmingQuotes
        for candidate in header.split(separator: ",") {
            var tag = Substring(candidate.trimmingSpaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if String(tag).trimmingQuotes == opaque { return true }
        }
        return false
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    fileprivate var trimmingQuotes: String {
        hasPrefix("\"") && hasSuffix("\"") && count >= 2 ? String(dropFirst().dropLast()) : String(self)
    }
}
