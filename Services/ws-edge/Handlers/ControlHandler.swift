import Foundation
import SwitchboardProtocol

/// `control`: role `operator` (or admin) writes a command for the field side; always answered by `control_ack`.
struct ControlHandler: MessageHandler {
    typealias Payload = ControlRequest
    let replies: Set<String> = ["control_ack"]

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

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let commandID = message.id ?? ServerFrame.uniqueID("ctrl")
        func ack(_ status: String, success: Bool, value: Double? = nil, error: String? = nil) {
            let data = Ack(
                requestID: message.id ?? "",
                commandID: commandID,
                status: status,
                result: .init(success: success, actualValue: value, error: error)
            )
            connection.send(ServerFrame.make("control_ack", id: "\(commandID)_ack", data: data))
        }
        guard let principal = connection.principal, principal.has(role: "operator") else {
            ack("rejected", success: false, error: "control needs role operator")
            return
        }
        let request: ControlRequest
        switch payload(of: message) {
        case .success(let decoded): request = decoded
        case .failure(let failure):
            ack("failed", success: false, error: failure.message)
            return
        }
        let commandType = request.commandType ?? "set_value"
        // The frame id (as `command_id`), `command_type` and `reason` go into the command the field side reads: bounded.
        if let problem = InputLimits.problem("id", commandID, maxBytes: InputLimits.clientIDBytes)
            ?? InputLimits.problem("command_type", commandType, maxBytes: InputLimits.controlCommandTypeBytes)
            ?? request.reason.flatMap({ InputLimits.problem("reason", $0, maxBytes: InputLimits.controlReasonBytes) })
        {
            ack("failed", success: false, error: problem)
            return
        }
        let type = request.dataType ?? (["control", "remote_control", "switch"].contains(commandType) ? "C" : "A")
        guard type == "C" || type == "A" else {
            ack("failed", success: false, error: "type must be C (control) or A (adjustment)")
            return
        }
        do {
            _ = try await context.backends.client(.scheduler).call(
                ControlCommand.self,
                .init(
                    source: request.source ?? TelemetryGroup.defaultSource,
                    channelID: request.channelID,
                    pointID: request.pointID,
                    type: type,
                    valueJSON: request.value.json,
                    commandID: commandID,
                    commandType: commandType,
                    operator: principal.user,
                    reason: request.reason
                ),
                timeout: .seconds(5)
            )
            ack("executed", success: true, value: request.value.echo)
        } catch {
            ack("failed", success: false, error: error.message)
        }
    }
}
