import Logging
import ServiceKit
import SwitchboardProtocol

/// The permission API: what the caller may do (`GET /api/permissions/me`), and the role → permission table that admins
/// read and change. A changed role is announced to every connection (topic `all`) as `permission_update`, since any of
/// them may hold that role; clients re-read `/api/permissions/me` and `/api/menu` when it concerns them.
struct PermissionRoutes: Sendable {
    let permissions: PermissionStore
    let publisher: ChangePublisher
    let logger: Logger

    func register(into routes: inout HTTPRoutes.Builder) {
        routes.on("GET", "/api/permissions/me") { call in try await StorageFailure.http { try await me(call) } }
        routes.on("GET", "/api/permissions/roles") { call in try await StorageFailure.http { try await roles(call) } }
        routes.on("PUT", "/api/permissions/roles/{role}") { call in try await StorageFailure.http { try await replace(call) } }
    }

    private struct Me: Encodable {
        let user: String
        let roles: [String]
        let permissions: [String]
    }

    /// Anyone: an anonymous caller is answered as user `anonymous` with role `anonymous`.
    func me(_ call: HTTPCall) async throws -> ForwardedResponse {
        let (roles, grants) = try await permissions.grants(for: call.principal)
        return .json(Me(user: call.principal?.user ?? "anonymous", roles: roles, permissions: grants.sorted(by: PermissionStore.byteOrder)))
    }

    private struct Roles: Encodable {
        let roles: [String: [String]]
    }

    /// Admin: every configured or default role with its grants.
    func roles(_ call: HTTPCall) async throws -> ForwardedResponse {
        _ = try call.require(role: "admin")
        return .json(Roles(roles: try await permissions.allRoles()))
    }

    private struct RoleBody: Decodable {
        let permissions: [String]
        let reason: String?
    }

    private struct RoleAnswer: Encodable {
        let role: String
        let permissions: [String]
        let version: Int
        let changed: Bool
    }

    /// Admin: replaces the grants of `role` (`{"permissions": [...]}`); unchanged grants publish nothing.
    func replace(_ call: HTTPCall) async throws -> ForwardedResponse {
        let admin = try call.require(role: "admin")
        let role = call.parameters["role"] ?? ""
        guard PermissionStore.isValidRole(role) else {
            throw HTTPError(400, "invalid_role", "a role is 1–32 lower-case letters, digits, _ or -")
        }
        let body = try call.decodeBody(RoleBody.self)
        guard body.permissions.count <= PermissionStore.maxPermissionsPerRole else {
            throw HTTPError(400, "invalid_permissions", "at most \(PermissionStore.maxPermissionsPerRole) permissions per role")
        }
        if let bad = body.permissions.first(where: { !Permission.isValid($0) }) {
            throw HTTPError(400, "invalid_permissions", "\(bad) is not a permission (letters, digits, . _ - :), `*` or `name.*`")
        }
        let result = try await permissions.replace(role: role, permissions: body.permissions)
        if result.changed {
            logger.info(
                "role permissions changed",
                metadata: ["role": "\(role)", "permissions": "\(result.permissions)", "by": "\(admin.user)", "reason": "\(body.reason ?? "")"])
            let update = ChangeFrames.PermissionUpdate(
                role: role, permissions: result.permissions, version: result.version, author: admin.user, timestamp: UnixTime.now)
            publisher.publish(topic: "all", frame: ChangeFrames.permissionUpdate(update))
        }
        return .json(RoleAnswer(role: role, permissions: result.permissions, version: result.version, changed: result.changed))
    }
}
