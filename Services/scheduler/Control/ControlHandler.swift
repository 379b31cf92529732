import Foundation
import Redis
import SwitchboardProtocol

/// `scheduler.control`: appends a command for the field side to `{source}:{channel}:{C|A}:TODO` (template configurable).
///
/// That is the list VoltageEMS's comsrv pops (`services/comsrv/src/core/channels/trigger.rs`: BLPOP on
/// `comsrv:{channel}:C:TODO` and `comsrv:{channel}:A:TODO`, from `KeySpaceConfig::todo_queue_key`), and the entry is the
/// `CompactTrigger` it parses first: `point_id` (u32), `value` (f64), `timestamp` (ms); the other fields are ignored
/// there and kept for audit. The old gateway wrote `{source}:trigger:{channel}:C`, which nothing reads.
struct ControlHandler: Sendable {
    static let defaultKeyTemplate = "{source}:{channel}:{type}:TODO"
    let redis: RedisClient
    /// With `{source}`, `{channel}` and `{type}` placeholders.
    let keyTemplate: String

    func handle(_ params: ControlCommand.Params) async throws -> ControlCommand.Result {
        try Self.validate(params)
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

    /// `get_value`: the point's current value in `{source}:{channel}:{type}`, nil when it has none (or it is not a number).
    func read(_ params: ControlCommand.Params) async throws -> Double? {
        try Self.validate(params)
        let reply = try await redis.send(["HGET", "\(params.source):\(params.channelID):\(params.type)", String(params.pointID)])
        return reply.text.flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil }
    }

    /// comsrv parses `point_id` and the channel as u32; anything else would sit in its queue unparsed.
    private static func validate(_ params: ControlCommand.Params) throws(RPCError) {
        guard params.type == "C" || params.type == "A" else { throw RPCError.badRequest("control type must be C or A") }
        guard (1...Int(UInt32.max)).contains(params.channelID), (0...Int(UInt32.max)).contains(params.pointID) else {
            throw RPCError.badRequest("channel_id must be 1 to \(UInt32.max) and point_id 0 to \(UInt32.max)")
        }
        guard TelemetryGroup.isValidSource(params.source) else { throw RPCError.badRequest("invalid source") }
    }

    /// The client-chosen text written into the command, each within its `InputLimits` bound (the edge checks the same).
    static func sizeProblem(_ params: ControlCommand.Params) -> String? {
        InputLimits.problem("id", params.commandID, maxBytes: InputLimits.clientIDBytes)
            ?? InputLimits.problem("command_type", params.commandType, maxBytes: InputLimits.controlCommandTypeBytes)
            ?? params.reason.flatMap { InputLimits.problem("reason", $0, maxBytes: InputLimits.controlReasonBytes) }
    }
}
