import Bus
import Foundation
import ServiceKit
import SwitchboardProtocol

/// `POST /api/v1/broadcast`, the VoltageEMS gateway's route that alarmsrv posts to: `alarm` and `alarm_num` frames
/// (`services/alarmsrv/app/services/alarm_monitor.py`) reach clients with their `data` byte for byte and the sender's
/// frame `id`; any other type goes to a topic (`all` by default). Answers 200 `{success, message, data}` as the old
/// gateway did — alarmsrv counts only a 200 as delivered.
struct Broadcast: Sendable {
    let alarms: AlarmStore
    let publisher: EventPublisher

    struct Answer: Encodable {
        struct Detail: Encodable {
            let type: String
            let topic: String
            let id: String?
        }

        let success = true
        let message: String
        let data: Detail
    }

    func handle(_ body: String?) async throws -> ForwardedResponse {
        guard let text = body, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw HTTPError(400, "invalid_json", "the body must be a JSON object")
        }
        if (object["type"] != nil && !(object["type"] is String)) || (object["topic"] != nil && !(object["topic"] is String)) {
            throw HTTPError(400, "invalid_body", "type and topic must be strings")
        }
        let type = object["type"] as? String ?? "notice"
        let raw = RawJSONMember.value(of: "data", in: Array(text.utf8)).map { Array($0) }
        let frameID = (object["id"] as? String).flatMap { AlarmStore.isValidID($0) ? $0 : nil }
        switch type {
        case "alarm":
            guard let data = object["data"] as? [String: Any], let raw else {
                // The older shape: the alarm's fields at the top level.
                let id = try await alarms.record(object.filter { $0.key != "type" })
                return answer("alarm", topic: AlarmTopics.all, id: id)
            }
            let id = AlarmStore.id(of: data) ?? frameID ?? "alarm_\(UUID().uuidString.prefix(12).lowercased())"
            try await alarms.record(
                AlarmStore.Alarm(id: id, dataJSON: raw, channel: AlarmStore.channel(of: data), frameID: frameID ?? "alarm_\(id)"))
            return answer("alarm", topic: AlarmTopics.all, id: id)
        case "alarm_num":
            guard object["data"] is [String: Any], let raw else { throw HTTPError(400, "invalid_body", "alarm_num needs a data object") }
            let id = frameID ?? ServerFrame.uniqueID("alarm_num")
            publisher.publish(topic: AlarmTopics.count, payload: ServerFrame.envelope("alarm_num", id: id, dataJSON: raw))
            return answer("alarm_num", topic: AlarmTopics.count, id: id)
        default:
            let topic = object["topic"] as? String ?? "all"
            guard topic == "all" || topic.hasPrefix("user/") || topic.hasPrefix("room/") || topic.hasPrefix("alarm/") else {
                throw HTTPError(400, "invalid_topic", "topic must be all, user/<name>, room/<id> or alarm/<channel>")
            }
            guard type.range(of: "^[a-z_]{1,32}$", options: .regularExpression) != nil else {
                throw HTTPError(400, "invalid_type", "type must be lower-case letters and underscores")
            }
            let id = frameID ?? "\(type)_\(UUID().uuidString.prefix(8).lowercased())"
            publisher.publish(topic: topic, payload: ServerFrame.envelope(type, id: id, dataJSON: raw ?? Array("{}".utf8)))
            return answer(type, topic: topic, id: id)
        }
    }

    private func answer(_ type: String, topic: String, id: String?) -> ForwardedResponse {
        .json(Answer(message: "\(type) published to \(topic)", data: .init(type: type, topic: topic, id: id)))
    }
}

/// Who may broadcast without a token (DESIGN.md §9): `SWITCHBOARD_BROADCAST_TRUSTED_NETWORKS`, default loopback, where
/// alarmsrv runs next to the gateway (it posts to `http://localhost:6005`). The older name
/// `SWITCHBOARD_BROADCAST_NETWORKS` is still read when the new one is not set. An empty value trusts nobody.
enum BroadcastNetworks {
    static let variable = "SWITCHBOARD_BROADCAST_TRUSTED_NETWORKS"
    static let olderVariable = "SWITCHBOARD_BROADCAST_NETWORKS"
    static let defaultText = "127.0.0.0/8,::1/128"

    static func parse(_ environment: [String: String]) throws(CIDR.Invalid) -> [CIDR] {
        let text = environment[variable] ?? environment[olderVariable] ?? defaultText
        return try CIDR.list(text)
    }
}
