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

    /// `menu_update` data, sent to `all`: only the new version and checksum — enough for every client to know its copy
    /// is stale and re-read `/api/menu` (which filters by the reader's permissions). Who changed what, and why, is not
    /// for every anonymous connection.
    struct MenuUpdate: Encodable {
        let version: Int
        let checksum: String
    }

    /// `menu_change` data, sent to `role/admin` (the role that may write menus): the version, checksum and the change.
    struct MenuChangeDetail: Encodable {
        let version: Int
        let checksum: String
        let change: MenuChange
    }

    /// The topic the change details go to.
    static let detailTopic = "role/admin"

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

    static func menuChange(_ detail: MenuChangeDetail) -> String {
        encode(Frame(type: "menu_change", id: "menu_change_\(detail.version)", timestamp: UnixTime.now, data: detail))
    }

    static func permissionUpdate(_ update: PermissionUpdate) -> String {
        encode(Frame(type: "permission_update", id: "perm_\(update.version)", timestamp: UnixTime.now, data: update))
    }

    private static func encode<Payload: Encodable>(_ frame: Frame<Payload>) -> String {
        (try? encoder.encode(frame)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
