/// `menu.permission_check`: may this caller do `permission`? The edge asks it for a WebSocket `permission_check`.
///
/// Role → permission grants live with the menu service (in Redis), so the edge sends only who is asking; the answer is
/// the same one `GET /api/permissions/me` and the menu filter use. A nil principal is an anonymous connection, which has
/// exactly the permissions of role `anonymous`.
public enum MenuPermissionCheck: RPCMethod {
    public struct Params: Codable, Sendable, Equatable {
        public var principal: Principal?
        public var permission: String

        public init(principal: Principal?, permission: String) {
            self.principal = principal
            self.permission = permission
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var allowed: Bool
        /// The caller's user name, or `anonymous`.
        public var user: String

        public init(allowed: Bool, user: String) {
            self.allowed = allowed
            self.user = user
        }
    }

    public static let name = "menu.permission_check"
}
