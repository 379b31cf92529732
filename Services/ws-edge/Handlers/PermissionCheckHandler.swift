import Foundation
import SwitchboardProtocol

/// `permission_check` (`data.permission`) → `permission_check_result` {request_id, permission, allowed, user}.
///
/// The question is about the connection's own principal (an anonymous connection has role `anonymous`'s grants), and
/// the menu service answers it, since it owns the role → permission table; the edge holds no permission logic.
struct PermissionCheckHandler: MessageHandler {
    typealias Payload = PermissionCheckRequest
    let replies: Set<String> = ["permission_check_result"]
    let endpoints: Set<EndpointKind> = [.permissions, .main]

    private struct Answer: Encodable {
        let requestID: String
        let permission: String
        let allowed: Bool
        let user: String

        enum CodingKeys: String, CodingKey {
            case permission, allowed, user
            case requestID = "request_id"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        let result: MenuPermissionCheck.Result
        do {
            result = try await context.backends.client(.menu).call(
                MenuPermissionCheck.self,
                .init(principal: connection.principal, permission: request.permission),
                timeout: .seconds(5)
            )
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        let answer = Answer(requestID: message.id ?? "", permission: request.permission, allowed: result.allowed, user: result.user)
        connection.send(ServerFrame.make("permission_check_result", id: "\(message.id ?? ServerFrame.uniqueID("perm"))_result", data: answer))
    }
}
