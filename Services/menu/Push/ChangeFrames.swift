import Foundation
import SwitchboardProtocol

/// The finished WebSocket frames the menu service publishes (`{"type","id","timestamp","data"}`, DESIGN.md §3).
///
/// They are built here, once (by the one envelope writer, `ServerFrame`), because the edges write the published text to
/// every subscriber as it is.
enum ChangeFrames {
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

    static func menuUpdate(_ update: MenuUpdate) -> String {
        frame("menu_update", id: "menu_\(update.version)", update)
    }

    static func menuChange(_ detail: MenuChangeDetail) -> String {
        frame("menu_change", id: "menu_change_\(detail.version)", detail)
    }

    static func permissionUpdate(_ update: PermissionUpdate) -> String {
        frame("permission_update", id: "perm_\(update.version)", update)
    }

    private static func frame<Payload: Encodable>(_ type: String, id: String, _ data: Payload) -> String {
        String(decoding: ServerFrame.make(type, id: id, timestamp: Int64(UnixTime.now), data: data), as: UTF8.self)
    }
}
