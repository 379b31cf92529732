import Bus
import ServiceKit
import SwitchboardProtocol

/// `menu.permission_check`, which the edge calls for a WebSocket `permission_check`: the same grants as
/// `GET /api/permissions/me`, so the two can never disagree.
enum PermissionCheckRPC {
    static func register(on rpc: RPCServer, permissions: PermissionStore) {
        rpc.register(MenuPermissionCheck.self) { params, _ in
            guard Permission.isValidName(params.permission) else {
                throw RPCError.badRequest("permission must be 1–100 letters, digits, or . _ - :")
            }
            return try await StorageFailure.rpc {
                let grants = try await permissions.grants(for: params.principal).grants
                return MenuPermissionCheck.Result(
                    allowed: Permission.allows(grants, params.permission), user: params.principal?.user ?? "anonymous")
            }
        }
    }
}
