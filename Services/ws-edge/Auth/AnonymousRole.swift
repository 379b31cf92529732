import Foundation
import SwitchboardProtocol

/// `SWITCHBOARD_ANONYMOUS_ROLE`: the role a `/ws` connection without a token gets, for plants whose dashboard opens
/// the socket with no token at all (the VoltageEMS dashboard does). Empty (the default): none, anonymous connections
/// stay principal-less as before.
///
/// Only `viewer` or `operator`: handing `admin` to everybody who can reach the port would make every other check moot,
/// so the edge refuses to start with it, or with a role it does not know (a typo must not silently mean "none").
enum AnonymousRole {
    static let variable = "SWITCHBOARD_ANONYMOUS_ROLE"
    /// The principal's user name; registration refuses it (`ReservedNames`), so no account can be confused with it.
    static let userName = "anonymous"
    static let allowed: Set<String> = ["viewer", "operator"]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The principal for tokenless `/ws` connections, or nil when the setting is empty.
    static func principal(setting: String) throws(Invalid) -> Principal? {
        let role = setting.trimmingCharacters(in: .whitespaces).lowercased()
        guard !role.isEmpty else { return nil }
        guard allowed.contains(role) else {
            throw Invalid(
                description: "\(variable)=\(setting) is not allowed: use viewer or operator (or leave it empty for no anonymous role)")
        }
        return Principal(user: userName, roles: [role])
    }
}
