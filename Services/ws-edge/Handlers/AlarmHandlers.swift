import Foundation

/// `subscribe_alarms`: all alarms (`alarm/*`) or those of given channels (`alarm/<channel>`); a new call replaces the old.
struct SubscribeAlarmsHandler: MessageHandler {
    typealias Payload = SubscribeAlarmsRequest
    let replies: Set<String> = ["subscribe_alarms_ack"]

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
        let request = try payload(of: message).get()
        if let channels = request.channels, channels.contains(where: { $0 <= 0 }) || channels.count > 10_000 {
            throw ProtocolFailure(code: .invalidMessage, message: "channels must be positive channel ids", requestID: message.id)
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
