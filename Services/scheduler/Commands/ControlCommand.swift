import ClientFrames
import Foundation
import SwitchboardProtocol

/// `control`: role `operator` (or admin), as the edge authenticated it, writes a command for the field side; always
/// answered by `control_ack` (`rejected`, `failed` or `executed`), never by an `error` frame.
struct ControlCommandHandler: CommandHandler {
    typealias Payload = ControlRequest
    /// Writes the checked command for the field side (`ControlHandler.handle`).
    let write: @Sendable (ControlCommand.Params) async throws -> Void

    private struct Ack: Encodable {
        struct Outcome: Encodable {
            let success: Bool
            let actualValue: Double?
            let error: String?

            enum CodingKeys: String, CodingKey {
                case success, error
                case actualValue = "actual_value"
            }
        }

        let requestID: String
        let commandID: String
        let status: String
        let result: Outcome

        enum CodingKeys: String, CodingKey {
            case status, result
            case requestID = "request_id"
            case commandID = "command_id"
        }
    }

    /// The command's `C` (control) or `A` (adjustment) type: given, or inferred from `command_type`.
    static func dataType(_ request: ControlRequest, commandType: String) -> String {
        request.dataType ?? (["control", "remote_control", "switch"].contains(commandType) ? "C" : "A")
    }

    /// Only role `operator` (admins have every role) may write commands.
    static func mayControl(_ principal: Principal?) -> Bool {
        principal?.has(role: "operator") ?? false
    }

    func run(_ command: inout Command) async throws {
        let commandID = command.id ?? ServerFrame.uniqueID("ctrl")
        let requestID = command.id ?? ""
        func ack(_ status: String, success: Bool, value: Double? = nil, error: String? = nil) -> [UInt8] {
            ServerFrame.make(
                "control_ack", id: "\(commandID)_ack",
                data: Ack(
                    requestID: requestID, commandID: commandID, status: status, result: .init(success: success, actualValue: value, error: error)))
        }
        guard let principal = command.principal, Self.mayControl(principal) else {
            command.send(ack("rejected", success: false, error: "control needs role operator"))
            return
        }
        let request: ControlRequest
        switch command.message.decodeData(ControlRequest.self) {
        case .success(let decoded): request = decoded
        case .failure(let failure):
            command.send(ack("failed", success: false, error: failure.message))
            return
        }
        let commandType = request.commandType ?? "set_value"
        let params = ControlCommand.Params(
            source: request.source ?? TelemetryGroup.defaultSource, channelID: request.channelID, pointID: request.pointID,
            type: Self.dataType(request, commandType: commandType), valueJSON: request.value.json, commandID: commandID,
            commandType: commandType, operator: principal.user, reason: request.reason)
        if let problem = ControlHandler.sizeProblem(params) {
            command.send(ack("failed", success: false, error: problem))
            return
        }
        guard params.type == "C" || params.type == "A" else {
            command.send(ack("failed", success: false, error: "type must be C (control) or A (adjustment)"))
            return
        }
        do {
            try await write(params)
            command.send(ack("executed", success: true, value: request.value.echo))
        } catch let error as RPCError {
            command.send(ack("failed", success: false, error: error.message))
        } catch {
            command.send(ack("failed", success: false, error: "\(error)"))
        }
    }

    func handle(_ payload: ControlRequest, _ command: inout Command) async throws {}
}
