import Foundation

/// The finished WebSocket frames the menu service publishes (`{"type","id","timestamp","data"}`, DESIGN.md §3).
///
/// They are built here, once, because the edges write the published text to every subscriber as it is.
enum ChangeFrames {
    private struct Frame<Payload: Encodable>: Encodable {
        let type: String
        let id: String
        let timestamp: Int
        let data: Payload
    }

    /// `menu_update` data: the new version and checksum and the change that made them.
    struct MenuUpdate: Encodable {
        let version: Int
        let checksum: String
        let change: MenuChange
    }

    /// `permission_update` data: which role now has which grants.
    struct PermissionUpdate: Encodable {
        let role: String
        let permissions: [String]
        let version: Int
        let author: String
        let timestamp: Int
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func menuUpdate(_ update: MenuUpdate) -> String {
        encode(Frame(type: "menu_update", id: "menu_\(update.version)", timestamp: UnixTime.now, data: update))
    }

    static func permissionUpdate(_ update: PermissionUpdate) -> String {
        encode(Frame(type: "permission_update", id: "perm_\(update.version)", timestamp: UnixTime.now, data: update))
    }

    private static func encode<Payload: Encodable>(_ frame: Frame<Payload>) -> String {
        (try? encoder.encode(frame)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
