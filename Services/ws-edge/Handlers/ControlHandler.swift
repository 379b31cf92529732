import Foundation
import SwitchboardProtocol

/// `control`: role `operator` (or admin) writes a command for the field side; always answered by `control_ack`.
struct ControlHandler: MessageHandler {
    let type = "control"

    private struct Request: Decodable {
        let channelID: Int
        let pointID: Int
        let value: ControlValue
        let commandType: String?
        let dataType: String?
        let source: String?
        let reason: String?

        enum CodingKeys: String, CodingKey {
            case value, source, reason
            case channelID = "channel_id"
            case pointID = "point_id"
            case commandType = "command_type"
            case dataType = "type"
        }
    }

    /// A number (0 included) or a boolean (sent as 1/0), kept as JSON text.
    private struct ControlValue: Decodable {
        let json: String
        let echo: Double

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                json = flag ? "1" : "0"
                echo = flag ? 1 : 0
            } else if let number = try? container.decode(Int64.self) {
                json = String(number)
                echo = Double(number)
            } else if let number = try? container.decode(Double.self), number.isFinite {
                json = String(number)
                echo = number
            } else {
                throw DecodingError.typeMismatch(Double.self, .init(codingPath: decoder.codingPath, debugDescription: "value must be a number"))
            }
        }
    }

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
        let request: Request
        switch message.decodeData(Request.self) {
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
