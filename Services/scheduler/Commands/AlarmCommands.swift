import ClientFrames
import ServiceKit
import SwitchboardProtocol

/// `subscribe_alarms`: all alarms (`alarm/*`) or those of given channels (`alarm/<channel>`), and the `alarm_num`
/// counts (`alarm/num`); a new call replaces the old — also the alarms every connection gets on connecting
/// (`SWITCHBOARD_ALARMS_TO_ALL`), so naming channels narrows those — and one list is the connection's whole alarm
/// subscription, bounded by the smaller of the two channel bounds.
struct SubscribeAlarmsCommand: CommandHandler {
    typealias Payload = SubscribeAlarmsRequest
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

    /// The topics of a request, or why it is refused.
    static func topics(_ request: SubscribeAlarmsRequest, limits: SubscriptionLimits) -> Result<Set<String>, Refusal> {
        if let channels = request.channels, channels.contains(where: { $0 <= 0 }) {
            return .failure(Refusal("channels must be positive channel ids"))
        }
        let maxChannels = min(limits.perSubscribe, limits.perConnection)
        if let channels = request.channels, Set(channels).count > maxChannels {
            return .failure(
                Refusal(
                    "data.channels lists \(Set(channels).count) channels; at most \(maxChannels) "
                        + "(\(SubscriptionLimits.perSubscribeVariable) / \(SubscriptionLimits.perConnectionVariable))"))
        }
        if let channels = request.channels, !channels.isEmpty { return .success(Set(channels.map(AlarmTopics.channel) + [AlarmTopics.count])) }
        return .success(Set(AlarmTopics.everything))
    }

    func handle(_ request: SubscribeAlarmsRequest, _ command: inout Command) async throws {
        if command.principal == nil, !anonymous.alarms {
            throw ProtocolFailure(
                code: .unauthorized, message: AnonymousAccess.refusal("alarms", setting: "SWITCHBOARD_ANONYMOUS_ALARMS"), requestID: command.id)
        }
        let topics: Set<String>
        switch Self.topics(request, limits: limits) {
        case .success(let value): topics = value
        case .failure(let problem): throw command.invalid(problem.reason)
        }
        let held = Set(command.state.alarms ?? [])
        command.reply.leave += held.subtracting(topics).sorted()
        command.reply.join += topics.subtracting(held).sorted()
        command.state.alarms = topics.sorted()
        let channels = request.channels.flatMap { $0.isEmpty ? nil : Array(Set($0)).sorted() }
        command.send(
            ServerFrame.make(
                "subscribe_alarms_ack", id: "\(command.id ?? ServerFrame.uniqueID("alarms"))_ack",
                data: Ack(requestID: command.id ?? "", channels: channels, all: channels == nil)))
    }
}

/// `unsubscribe_alarms`: stops alarm frames.
struct UnsubscribeAlarmsCommand: CommandHandler {
    typealias Payload = UnsubscribeAlarmsRequest

    private struct Ack: Encodable {
        let requestID: String
        enum CodingKeys: String, CodingKey { case requestID = "request_id" }
    }

    func handle(_ request: UnsubscribeAlarmsRequest, _ command: inout Command) async throws {
        command.reply.leave += command.state.alarms ?? []
        command.state.alarms = nil
        command.send(
            ServerFrame.make(
                "unsubscribe_alarms_ack", id: "\(command.id ?? ServerFrame.uniqueID("alarms"))_ack", data: Ack(requestID: command.id ?? "")))
    }
}
