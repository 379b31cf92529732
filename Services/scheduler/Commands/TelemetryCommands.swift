import ClientFrames
import ServiceKit
import SwitchboardProtocol

/// `subscribe`: validates the request, finds which channels exist, moves the connection to the group of its merged
/// subscription, and answers `subscribe_ack` then the group's current `data_batch`. A later subscribe adds to the
/// earlier one (same source), with the newest interval and the union of types.
struct SubscribeCommand: CommandHandler {
    typealias Payload = SubscribeRequest
    let groups: SubscribeHandler
    /// Whether anonymous connections may read telemetry (`SWITCHBOARD_ANONYMOUS_TELEMETRY`).
    var anonymous = AnonymousAccess()

    private struct Ack: Encodable {
        let requestID: String
        let subscribed: [Int]
        let failed: [ChannelReference]
        let total: Int
        let interval: Int
        let dataTypes: [String]

        enum CodingKeys: String, CodingKey {
            case subscribed, failed, total, interval
            case requestID = "request_id"
            case dataTypes = "data_types"
        }
    }

    /// The checked request: defaults applied, or the reason it is refused.
    struct Checked: Equatable {
        let interval: Int
        let types: [String]
        let source: String
    }

    static func check(_ request: SubscribeRequest, perSubscribe: Int) -> Result<Checked, Refusal> {
        let interval = request.interval ?? 1000
        guard TelemetryGroup.intervalRange.contains(interval) else { return .failure(Refusal("interval must be between 100 and 3600000 ms")) }
        let types = Array(Set(request.dataTypes ?? ["T", "S"])).sorted()
        guard !types.isEmpty, types.allSatisfy(TelemetryGroup.dataTypes.contains) else {
            return .failure(Refusal("data_types must be some of T, S, C, A"))
        }
        let source = request.source ?? TelemetryGroup.defaultSource
        guard TelemetryGroup.isValidSource(source) else { return .failure(Refusal("source must be 1–32 letters, digits, _ or -")) }
        guard !request.channels.isEmpty, request.channels.count <= perSubscribe else {
            return .failure(
                Refusal(
                    "data.channels must list 1 to \(perSubscribe) channel ids (got \(request.channels.count); "
                        + "\(SubscriptionLimits.perSubscribeVariable))"))
        }
        return .success(Checked(interval: interval, types: types, source: source))
    }

    /// The earlier subscription this one adds to (same source only) and the merged data types.
    static func merge(_ checked: Checked, into previous: ConnectionState.Telemetry?) -> (keep: ConnectionState.Telemetry?, types: [String]) {
        let keep = previous?.source == checked.source ? previous : nil
        return (keep, Array(Set(checked.types).union(keep?.types ?? [])).sorted())
    }

    func handle(_ request: SubscribeRequest, _ command: inout Command) async throws {
        if command.principal == nil, !anonymous.telemetry {
            throw ProtocolFailure(
                code: .unauthorized, message: AnonymousAccess.refusal("telemetry", setting: "SWITCHBOARD_ANONYMOUS_TELEMETRY"),
                requestID: command.id)
        }
        let checked: Checked
        switch Self.check(request, perSubscribe: groups.limits.perSubscribe) {
        case .success(let value): checked = value
        case .failure(let problem): throw command.invalid(problem.reason)
        }
        let previous = command.state.telemetry
        let (keep, mergedTypes) = Self.merge(checked, into: previous)
        let result = try await groups.handle(
            .init(
                source: checked.source, intervalMs: checked.interval, types: mergedTypes, requested: request.channels,
                existing: keep?.channels ?? []))
        if let old = previous?.topic, old != result.topic { command.reply.leave.append(old) }
        if let topic = result.topic {
            command.state.telemetry = .init(
                source: checked.source, intervalMs: checked.interval, channels: result.channels, types: mergedTypes, topic: topic)
            command.reply.join.append(topic)
        } else if previous != nil, keep == nil {
            command.state.telemetry = nil
        }
        command.send(
            ServerFrame.make(
                "subscribe_ack", id: "\(command.id ?? ServerFrame.uniqueID("sub"))_ack",
                data: Ack(
                    requestID: command.id ?? "", subscribed: result.subscribed, failed: result.failed, total: result.subscribed.count,
                    interval: checked.interval, dataTypes: mergedTypes)))
        if let frame = result.frame { command.reply.frames.append(frame) }
    }
}

/// `unsubscribe`: drops some channels (or all, when `channels` is absent) from the connection's subscription.
struct UnsubscribeCommand: CommandHandler {
    typealias Payload = UnsubscribeRequest

    private struct Ack: Encodable {
        let requestID: String
        let unsubscribed: [Int]
        let remaining: [Int]

        enum CodingKeys: String, CodingKey {
            case unsubscribed, remaining
            case requestID = "request_id"
        }
    }

    func handle(_ request: UnsubscribeRequest, _ command: inout Command) async throws {
        var removed: [Int] = []
        var remaining: [Int] = []
        if let state = command.state.telemetry {
            let drop = request.channels.map(Set.init) ?? Set(state.channels)
            removed = state.channels.filter(drop.contains)
            remaining = state.channels.filter { !drop.contains($0) }
            if let topic = state.topic { command.reply.leave.append(topic) }
            if let group = TelemetryGroup(intervalMs: state.intervalMs, channels: remaining, types: state.types, source: state.source) {
                command.state.telemetry = .init(
                    source: state.source, intervalMs: state.intervalMs, channels: group.channels, types: group.types, topic: group.topic)
                command.reply.join.append(group.topic)
            } else {
                command.state.telemetry = nil
            }
        }
        command.send(
            ServerFrame.make(
                "unsubscribe_ack", id: "\(command.id ?? ServerFrame.uniqueID("unsub"))_ack",
                data: Ack(requestID: command.id ?? "", unsubscribed: removed, remaining: remaining)))
    }
}
