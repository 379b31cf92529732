import ClientFrames
import Foundation
import SwitchboardProtocol

/// `control`: role `operator` (or admin), as the edge authenticated it, writes a command for the field side; always
/// answered by `control_ack` (`rejected`, `failed` or `executed`), never by an `error` frame.
///
/// `result.message` is the outcome in words — the VoltageEMS dashboard shows it when `success` is false
/// (`apps/src/utils/websocket.ts`, `handleControlAck`); `error` keeps the reason for other clients.
struct ControlCommandHandler: CommandHandler {
    typealias Payload = ControlRequest
    var sources = TelemetrySources.standard
    /// Writes the checked command for the field side (`ControlHandler.handle`).
    let write: @Sendable (ControlCommand.Params) async throws -> ControlCommand.Result
    /// Reads a point's current value for `get_value` (`ControlHandler.read`).
    var read: @Sendable (ControlCommand.Params) async throws -> Double? = { _ in nil }

    private struct Ack: Encodable {
        struct Outcome: Encodable {
            let success: Bool
            let actualValue: Double?
            let message: String
            let error: String?

            enum CodingKeys: String, CodingKey {
                case success, message, error
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

    /// The command types that switch something (comsrv's `C` list, remote control); every other one — the dashboard's
    /// `set_value` among them — sets a value (`A`, adjustment).
    static let switchingTypes: Set<String> = ["control", "remote_control", "switch", "execute", "C"]

    /// The command's `C` (control) or `A` (adjustment) type: given, or inferred from `command_type`.
    static func dataType(_ request: ControlRequest, commandType: String) -> String {
        request.dataType ?? (switchingTypes.contains(commandType) ? "C" : "A")
    }

    /// Only role `operator` (admins have every role) may write commands.
    static func mayControl(_ principal: Principal?) -> Bool {
        principal?.has(role: "operator") ?? false
    }

    func run(_ command: inout Command) async throws {
        let commandID = command.id ?? ServerFrame.uniqueID("ctrl")
        let requestID = command.id ?? ""
        func ack(_ status: String, success: Bool, value: Double? = nil, message: String, error: String? = nil) -> [UInt8] {
            ServerFrame.make(
                "control_ack", id: "\(commandID)_ack",
                data: Ack(
                    requestID: requestID, commandID: commandID, status: status,
                    result: .init(success: success, actualValue: value, message: message, error: error)))
        }
        func refuse(_ status: String, _ reason: String) -> [UInt8] {
            ack(status, success: false, message: "control not executed: \(reason)", error: reason)
        }
        guard let principal = command.principal, Self.mayControl(principal) else {
            command.send(refuse("rejected", "control needs role operator"))
            return
        }
        let request: ControlRequest
        switch command.message.decodeData(ControlRequest.self) {
        case .success(let decoded): request = decoded
        case .failure(let failure):
            command.send(refuse("failed", failure.message))
            return
        }
        let commandType = request.commandType ?? "set_value"
        let source = request.source ?? TelemetryGroup.defaultSource
        let params = ControlCommand.Params(
            source: source, channelID: request.channelID, pointID: request.pointID,
            type: Self.dataType(request, commandType: commandType), valueJSON: request.value?.json ?? "", commandID: commandID,
            commandType: commandType, operator: principal.user, reason: request.reason)
        if let problem = ControlHandler.sizeProblem(params) {
            command.send(refuse("failed", problem))
            return
        }
        guard params.type == "C" || params.type == "A" else {
            command.send(refuse("failed", "type must be C (control) or A (adjustment)"))
            return
        }
        guard sources.has(source, type: params.type) else {
            command.send(refuse("failed", "source \(source) has no \(params.type) points (\(TelemetrySources.variable))"))
            return
        }
        let point = "point \(params.pointID) of \(source) channel \(params.channelID) (\(params.type))"
        do {
            if commandType == "get_value" {
                guard let value = try await read(params) else {
                    command.send(refuse("failed", "\(point) has no numeric value"))
                    return
                }
                command.send(ack("executed", success: true, value: value, message: "\(point) is \(Self.text(value))"))
                return
            }
            guard let value = request.value else {
                command.send(refuse("failed", "`data.value` is required for \(commandType)"))
                return
            }
            let written = try await write(params)
            command.send(
                ack(
                    "executed", success: true, value: value.echo,
                    message: "\(commandType) \(value.json) for \(point) queued for the field side (\(written.key))"))
        } catch let error as RPCError {
            command.send(refuse("failed", error.message))
        } catch {
            command.send(refuse("failed", "\(error)"))
        }
    }

    func handle(_ payload: ControlRequest, _ command: inout Command) async throws {}

    private static func text(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
