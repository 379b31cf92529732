import Foundation
import ServiceKit

/// `subscribe_alarms`: all alarms (`alarm/*`) or those of given channels (`alarm/<channel>`); a new call replaces the old.
struct SubscribeAlarmsHandler: MessageHandler {
    typealias Payload = SubscribeAlarmsRequest
    let replies: Set<String> = ["subscribe_alarms_ack"]
    /// A call replaces the previous one, so one list is the connection's whole alarm subscription: it is bounded by the
    /// smaller of the two telemetry channel bounds.
    let limits: SubscriptionLimits
    /// Whether anonymous connections may receive alarms (`SWITCHBOARD_ANONYMOUS_ALARMS`).
    var anonymous = AnonymousAccess()

    private struct Ack: Encodable {
        let requestID: String
        let channels: [Int]?
        let all: Bool

        enum CodingKeys: String, CodingKey {
            case channels, all
            case requestID = "request_id"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        if connection.principal == nil, !anonymous.alarms {
            throw ProtocolFailure(
                code: .unauthorized, message: AnonymousAccess.refusal("alarms", setting: "SWITCHBOARD_ANONYMOUS_ALARMS"), requestID: message.id)
        }
        let request = try payload(of: message).get()
        if let channels = request.channels, channels.contains(where: { $0 <= 0 }) {
            throw ProtocolFailure(code: .invalidMessage, message: "channels must be positive channel ids", requestID: message.id)
        }
        let maxChannels = min(limits.perSubscribe, limits.perConnection)
        if let channels = request.channels, Set(channels).count > maxChannels {
            throw ProtocolFailure(
                code: .invalidMessage,
                message: "data.channels lists \(Set(channels).count) channels; at most \(maxChannels) "
                    + "(\(SubscriptionLimits.perSubscribeVariable) / \(SubscriptionLimits.perConnectionVariable))",
                requestID: message.id)
        }
        let topics: Set<String> =
            if let channels = request.channels, !channels.isEmpty { Set(channels.map { "alarm/\($0)" }) } else { ["alarm/*"] }
        let old: AlarmState? = connection.attachment(AlarmState.key)
        for topic in old?.topics ?? [] where !topics.contains(topic) { context.registry.leave(connection, topic) }
        for topic in topics { context.registry.join(connection, topic) }
        connection.setAttachment(AlarmState.key, AlarmState(topics: topics))
        let channels = request.channels.flatMap { $0.isEmpty ? nil : Array(Set($0)).sorted() }
        let ack = Ack(requestID: message.id ?? "", channels: channels, all: channels == nil)
        connection.send(ServerFrame.make("subscribe_alarms_ack", id: "\(message.id ?? ServerFrame.uniqueID("alarms"))_ack", data: ack))
    }
}

/// `unsubscribe_alarms`: stops alarm frames.
struct UnsubscribeAlarmsHandler: MessageHandler {
    typealias Payload = UnsubscribeAlarmsRequest
    let replies: Set<String> = ["unsubscribe_alarms_ack"]

    private struct Ack: Encodable {
        let requestID: String
        enum CodingKeys: String, CodingKey { case requestID = "request_id" }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        _ = try payload(of: message).get()
        let old: AlarmState? = connection.attachment(AlarmState.key)
        for topic in old?.topics ?? [] { context.registry.leave(connection, topic) }
        connection.setAttachment(AlarmState.key, nil)
        connection.send(
            ServerFrame.make(
                "unsubscribe_alarms_ack", id: "\(message.id ?? ServerFrame.uniqueID("alarms"))_ack", data: Ack(requestID: message.id ?? ""))
        )
    }
}
