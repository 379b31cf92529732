import Foundation

/// An upgrade request's target split into its path and query without `URLComponents` (on every upgrade, its parse was
/// a visible share of the edge's CPU). Query names and values are percent-decoded as `URLComponents.queryItems` does
/// (`+` stays `+`); an item that does not decode keeps its raw text.
struct UpgradeTarget: Sendable, Equatable {
    let path: String
    let rawQuery: Substring

    init(_ target: String) {
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            rawQuery = target[target.index(after: mark)...]
        } else {
            path = target
            rawQuery = ""
        }
    }

    /// The first value of `name`, or nil; an item without `=` has the value "".
    func query(_ name: String) -> String? {
        guard !rawQuery.isEmpty else { return nil }
        for item in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let (key, value) = Self.split(item)
            if key == name { return value }
        }
        return nil
    }

    /// Every item, the first value winning for a repeated name.
    var queryItems: [String: String] {
        var items: [String: String] = [:]
        for item in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let (key, value) = Self.split(item)
            if items[key] == nil { items[key] = value }
        }
        return items
    }

    private static func split(_ item: Substring) -> (String, String) {
        let equals = item.firstIndex(of: "=")
        let key = equals.map { item[..<$0] } ?? item
        let value = equals.map { item[item.index(after: $0)...] } ?? ""
        return (decode(key), decode(value))
    }

    /// Foundation's decoder only where there is something to decode: a token is long and rarely escaped.
    private static func decode(_ text: Substring) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        return String(text).removingPercentEncoding ?? String(text)
    }
}
