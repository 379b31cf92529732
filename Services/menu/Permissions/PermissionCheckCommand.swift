import Bus
import ClientFrames
import Foundation
import ServiceKit
import SwitchboardProtocol

/// `menu.command` for the one client frame the menu service owns, `permission_check` (`data.permission`) →
/// `permission_check_result` {request_id, permission, allowed, user}.
///
/// The question is about the connection's own principal as the edge authenticated it (an anonymous connection has role
/// `anonymous`'s grants): the same grants as `GET /api/permissions/me`, so the two can never disagree.
enum PermissionCheckCommand {
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

    static func register(on rpc: RPCServer, permissions: PermissionStore) {
        rpc.register(MenuCommand.self) { request, _ in
            let frame: [UInt8]
            switch await answer(request, permissions: permissions) {
            case .success(let answer): frame = answer
            case .failure(let failure): frame = ServerFrame.error(failure)
            }
            return ClientCommandReply(frames: [String(decoding: frame, as: UTF8.self)])
        }
    }

    static func answer(_ request: ClientCommandRequest, permissions: PermissionStore) async -> Result<[UInt8], ProtocolFailure> {
        let message: ClientMessage
        switch ClientMessage.parse(Data(request.frame.utf8)) {
        case .success(let parsed): message = parsed
        case .failure(let failure): return .failure(failure)
        }
        guard message.type == PermissionCheckRequest.messageType else {
            return .failure(.init(code: .unknownType, message: "unknown message type `\(message.type.prefix(64))`", requestID: message.id))
        }
        let permission: String
        switch message.decodeData(PermissionCheckRequest.self) {
        case .success(let decoded): permission = decoded.permission
        case .failure(let failure): return .failure(failure)
        }
        guard Permission.isValidName(permission) else {
            return .failure(.init(code: .invalidMessage, message: "permission must be 1–100 letters, digits, or . _ - :", requestID: message.id))
        }
        let grants: Set<String>
        do {
            grants = try await StorageFailure.rpc { try await permissions.grants(for: request.principal).grants }
        } catch let error as RPCError {
            return .failure(
                .init(
                    code: error.code == RPCError.serviceUnavailableCode ? .serviceUnavailable : .internalError, message: error.message,
                    requestID: message.id))
        } catch {
            return .failure(.init(code: .internalError, message: "\(error)", requestID: message.id))
        }
        let answer = Answer(
            requestID: message.id ?? "", permission: permission, allowed: Permission.allows(grants, permission), user: request.user)
        return .success(ServerFrame.make("permission_check_result", id: "\(message.id ?? ServerFrame.uniqueID("perm"))_result", data: answer))
    }
}
