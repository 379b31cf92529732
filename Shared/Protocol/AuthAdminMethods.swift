/// Administrative methods of the auth service, called by operators' tools over the bus (never forwarded from HTTP).
///
/// The bus endpoint is reachable only from the host or network the deployment trusts (a Unix socket in the run dir by
/// default), which is what lets `switchboard user add` create the first admin before anyone can log in.

/// `auth.user.add`: creates a user with the given roles. Fails with `user_exists` when the name is taken and
/// `invalid_input` when the name, password or roles break the rules.
public enum UserAdd: RPCMethod {
    public struct Params: Codable, Sendable {
        public var username: String
        public var password: String
        public var roles: [String]

        public init(username: String, password: String, roles: [String]) {
            self.username = username
            self.password = password
            self.roles = roles
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var user: String
        public var roles: [String]
        /// Unix seconds.
        public var createdAt: Int

        public init(user: String, roles: [String], createdAt: Int) {
            self.user = user
            self.roles = roles
            self.createdAt = createdAt
        }
    }

    public static let name = "auth.user.add"
    public static let userExistsCode = "user_exists"
    public static let invalidInputCode = "invalid_input"
}
