import Foundation
import ServiceKit
import SwitchboardProtocol

/// `subscribe`: validates the request, asks the scheduler which channels exist, moves the connection to the group of its
/// merged subscription, and sends `subscribe_ack` then the group's current `data_batch`.
struct SubscribeHandler: MessageHandler {
    typealias Payload = SubscribeRequest
    let replies: Set<String> = ["subscribe_ack"]
    /// The per-subscribe bound is checked here too, so an oversized list never crosses the bus; the per-connection one
    /// needs to know which channels exist, so only the scheduler checks it.
    let limits: SubscriptionLimits
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

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        if connection.principal == nil, !anonymous.telemetry {
            throw ProtocolFailure(
                code: .unauthorized, message: AnonymousAccess.refusal("telemetry", setting: "SWITCHBOARD_ANONYMOUS_TELEMETRY"),
                requestID: message.id)
        }
        let request = try payload(of: message).get()
        let interval = request.interval ?? 1000
        guard TelemetryGroup.intervalRange.contains(interval) else {
            throw ProtocolFailure(code: .invalidMessage, message: "interval must be between 100 and 3600000 ms", requestID: message.id)
        }
        let types = Array(Set(request.dataTypes ?? ["T", "S"])).sorted()
        guard !types.isEmpty, types.allSatisfy(TelemetryGroup.dataTypes.contains) else {
            throw ProtocolFailure(code: .invalidMessage, message: "data_types must be some of T, S, C, A", requestID: message.id)
        }
        let source = request.source ?? TelemetryGroup.defaultSource
        guard TelemetryGroup.isValidSource(source) else {
            throw ProtocolFailure(code: .invalidMessage, message: "source must be 1–32 letters, digits, _ or -", requestID: message.id)
        }
        guard !request.channels.isEmpty, request.channels.count <= limits.perSubscribe else {
            throw ProtocolFailure(
                code: .invalidMessage,
                message: "data.channels must list 1 to \(limits.perSubscribe) channel ids (got \(request.channels.count); "
                    + "\(SubscriptionLimits.perSubscribeVariable))",
                requestID: message.id)
        }

        // A later subscribe adds to the earlier one (same source), with the newest interval and the union of types.
        let previous: TelemetryState? = connection.attachment(TelemetryState.key)
        let keep = previous?.source == source ? previous : nil
        let mergedTypes = Array(Set(types).union(keep?.types ?? [])).sorted()
        let result: TelemetrySubscribe.Result
        do {
            result = try await context.backends.client(.scheduler).call(
                TelemetrySubscribe.self,
                .init(source: source, intervalMs: interval, types: mergedTypes, requested: request.channels, existing: keep?.channels ?? []),
                timeout: .seconds(5)
            )
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }

        if let old = previous?.topic, old != result.topic { context.registry.leave(connection, old) }
        if let topic = result.topic {
            connection.setAttachment(
                TelemetryState.key,
                TelemetryState(source: source, intervalMs: interval, channels: result.channels, types: mergedTypes, topic: topic)
            )
            context.registry.join(connection, topic)
        } else if previous != nil, keep == nil {
            connection.setAttachment(TelemetryState.key, nil)
        }
        let ack = Ack(
            requestID: message.id ?? "",
            subscribed: result.subscribed,
            failed: result.failed,
            total: result.subscribed.count,
            interval: interval,
            dataTypes: mergedTypes
        )
        connection.send(ServerFrame.make("subscribe_ack", id: "\(message.id ?? ServerFrame.uniqueID("sub"))_ack", data: ack))
        if let frame = result.frame { connection.send(.init(string: frame)) }
    }
}

/// `unsubscribe`: drops some channels (or all, when `channels` is absent) from the connection's subscription.
struct UnsubscribeHandler: MessageHandler {
    typealias Payload = UnsubscribeRequest
    let replies: Set<String> = ["unsubscribe_ack"]

    private struct Ack: Encodable {
        let requestID: String
        let unsubscribed: [Int]
        let remaining: [Int]

        enum CodingKeys: String, CodingKey {
            case unsubscribed, remaining
            case requestID = "request_id"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        let state: TelemetryState? = connection.attachment(TelemetryState.key)
        var removed: [Int] = []
        var remaining: [Int] = []
        if let state {
            let drop = request.channels.map(Set.init) ?? Set(state.channels)
            removed = state.channels.filter(drop.contains)
            remaining = state.channels.filter { !drop.contains($0) }
            if let topic = state.topic { context.registry.leave(connection, topic) }
            if let group = TelemetryGroup(intervalMs: state.intervalMs, channels: remaining, types: state.types, source: state.source) {
                connection.setAttachment(
                    TelemetryState.key,
                    TelemetryState(
                        source: state.source, intervalMs: state.intervalMs, channels: group.channels, types: group.types, topic: group.topic)
                )
                context.registry.join(connection, group.topic)
            } else {
                connection.setAttachment(TelemetryState.key, nil)
            }
        }
        let ack = Ack(requestID: message.id ?? "", unsubscribed: removed, remaining: remaining)
        connection.send(ServerFrame.make("unsubscribe_ack", id: "\(message.id ?? ServerFrame.uniqueID("unsub"))_ack", data: ack))
    }
}
