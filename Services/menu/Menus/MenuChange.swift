import Foundation

/// One entry of the `menu:log` change log: who changed which menu, how, when and why.
///
/// Stored as JSON (newest first) and answered in `changes` of `GET /api/menu/version` and in `menu_change` frames (admins) with
/// exactly these seven fields, the shape of the seed's frontend.
struct MenuChange: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        case created, updated, deleted
    }

    var type: Kind
    var target: String
    var targetId: String
    var targetName: String
    var timestamp: Int
    var author: String
    var reason: String

    init(type: Kind, targetId: String, targetName: String, timestamp: Int, author: String, reason: String?) {
        self.type = type
        target = "menu"
        self.targetId = targetId
        self.targetName = targetName
        self.timestamp = timestamp
        self.author = author
        self.reason = reason ?? "\(type.rawValue) menu \(targetId)"
    }

    /// The stored text of the entry (fixed field order, the canonical string escaping).
    var json: String { json(targetNameLiteral: CanonicalJSON.quoted(targetName)) }

    /// The stored text around `targetName`, for the delete script, which alone knows the deleted menu's name.
    var jsonAroundTargetName: (before: String, after: String) {
        let marker = "\u{0}"
        let parts = json(targetNameLiteral: marker).components(separatedBy: marker)
        return (parts[0], parts.count > 1 ? parts[1] : "}")
    }

    private func json(targetNameLiteral: String) -> String {
        "{\"type\":\(CanonicalJSON.quoted(type.rawValue)),\"target\":\(CanonicalJSON.quoted(target)),"
            + "\"targetId\":\(CanonicalJSON.quoted(targetId)),\"targetName\":\(targetNameLiteral),"
            + "\"timestamp\":\(timestamp),\"author\":\(CanonicalJSON.quoted(author)),\"reason\":\(CanonicalJSON.quoted(reason))}"
    }

    /// Reads a stored entry; nil for text that is not an entry (skipped rather than failing the whole answer).
    static func parse(_ text: String) -> MenuChange? {
        try? JSONDecoder().decode(MenuChange.self, from: Data(text.utf8))
    }
}
