import Foundation
import Redis
import SwitchboardProtocol

/// `scheduler.control`: appends a command for the field side to `{source}:{channel}:{C|A}:TODO` (template configurable).
struct ControlHandler: Sendable {
    let redis: RedisClient
    /// With `{source}`, `{channel}` and `{type}` placeholders.
    let keyTemplate: String

    func handle(_ params: ControlCommand.Params) async throws -> ControlCommand.Result {
        guard params.type == "C" || params.type == "A" else { throw RPCError.badRequest("control type must be C or A") }
        guard params.channelID > 0, params.pointID >= 0 else { throw RPCError.badRequest("channel_id and point_id must be positive") }
        guard TelemetryGroup.isValidSource(params.source) else { throw RPCError.badRequest("invalid source") }
        guard JSONWriter.isJSONNumber(Array(params.valueJSON.utf8)) else { throw RPCError.badRequest("value must be a number") }
        if let problem = Self.sizeProblem(params) { throw RPCError.badRequest(problem) }
        let key =
            keyTemplate
            .replacingOccurrences(of: "{source}", with: params.source)
            .replacingOccurrences(of: "{channel}", with: String(params.channelID))
            .replacingOccurrences(of: "{type}", with: params.type)
        var writer = JSONWriter()
        writer.raw(#"{"point_id":"#)
        writer.integer(params.pointID)
        writer.raw(#","value":"#)
        writer.raw(Array(params.valueJSON.utf8))
        writer.raw(#","timestamp":"#)
        writer.integer(Int(Date().timeIntervalSince1970 * 1000))
        writer.raw(#","command_id":"#)
        writer.string(params.commandID)
        writer.raw(#","operator":"#)
        writer.string(params.operator)
        writer.raw(#","command_type":"#)
        writer.string(params.commandType)
        if let reason = params.reason {
            writer.raw(#","reason":"#)
            writer.string(reason)
        }
        writer.raw("}")
        let length = try await redis.sendBytesDurable([Array("RPUSH".utf8), Array(key.utf8), writer.bytes])
        return .init(key: key, queueLength: length.int ?? 0)
    }

    /// The client-chosen text written into the command, each within its `InputLimits` bound (the edge checks the same).
    static func sizeProblem(_ params: ControlCommand.Params) -> String? {
        InputLimits.problem("id", params.commandID, maxBytes: InputLimits.clientIDBytes)
            ?? InputLimits.problem("command_type", params.commandType, maxBytes: InputLimits.controlCommandTypeBytes)
            ?? params.reason.flatMap { InputLimits.problem("reason", $0, maxBytes: InputLimits.controlReasonBytes) }
    }
}
