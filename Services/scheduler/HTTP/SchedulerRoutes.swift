import Bus
import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol

/// The scheduler's HTTP API: current values, recent alarms, and broadcasts from trusted callers.
enum SchedulerRoutes {
    static func make(
        redis: RedisClient, alarms: AlarmStore, publisher: EventPublisher, anonymous: AnonymousAccess = AnonymousAccess(),
        broadcastNetworks: [CIDR] = []
    ) -> HTTPRoutes {
        HTTPRoutes { routes in
            SuggestionSources(redis: redis).register(into: &routes)
            routes.on("GET", "/api/data/{channel}/{type}") { call in
                if call.principal == nil, !anonymous.telemetry {
                    throw HTTPError(401, "unauthorized", AnonymousAccess.refusal("telemetry", setting: "SWITCHBOARD_ANONYMOUS_TELEMETRY"))
                }
                guard let channel = Int(call.parameters["channel"] ?? ""), channel > 0 else {
                    throw HTTPError(400, "invalid_channel", "channel must be a positive integer")
                }
                let type = call.parameters["type"] ?? ""
                guard TelemetryGroup.dataTypes.contains(type) else { throw HTTPError(400, "invalid_type", "type must be T, S, C or A") }
                let source = call.request.query["source"] ?? TelemetryGroup.defaultSource
                guard TelemetryGroup.isValidSource(source) else { throw HTTPError(400, "invalid_source", "invalid source") }
                let reply = try await redis.send(["HGETALL", "\(source):\(channel):\(type)"])
                guard let values = TelemetryFrames.renderValues(reply) else {
                    throw HTTPError(404, "not_found", "no data for \(source):\(channel):\(type)")
                }
                var writer = JSONWriter()
                writer.raw(#"{"source":"#)
                writer.string(source)
                writer.raw(#","channel_id":"#)
                writer.integer(channel)
                writer.raw(#","data_type":"#)
                writer.string(type)
                writer.raw(#","values":"#)
                writer.raw(values)
                writer.raw("}")
                return ForwardedResponse(
                    status: 200,
                    headers: ["content-type": "application/json; charset=utf-8"],
                    body: String(decoding: writer.bytes, as: UTF8.self)
                )
            }
            routes.on("GET", "/api/alarms") { call in
                if call.principal == nil, !anonymous.alarms {
                    throw HTTPError(401, "unauthorized", AnonymousAccess.refusal("alarms", setting: "SWITCHBOARD_ANONYMOUS_ALARMS"))
                }
                let limit = min(max(Int(call.request.query["limit"] ?? "") ?? 50, 1), AlarmStore.recentLimit)
                let items = try await alarms.recent(limit: limit)
                let body = #"{"alarms":["# + items.joined(separator: ",") + #"],"count":\#(items.count)}"#
                return ForwardedResponse(status: 200, headers: ["content-type": "application/json; charset=utf-8"], body: body)
            }
            routes.on("POST", "/api/v1/broadcast") { call in
                // A token with role admin or service, or (VoltageEMS's alarmsrv has none) a caller inside
                // SWITCHBOARD_BROADCAST_NETWORKS, as the edge determined its address (DESIGN.md §9).
                if let principal = call.principal {
                    guard principal.roles.contains("admin") || principal.roles.contains("service") else {
                        throw HTTPError(403, "forbidden", "broadcast needs role admin or service")
                    }
                } else {
                    guard let caller = IPAddress(call.request.clientIP), broadcastNetworks.contains(caller) else {
                        throw HTTPError(401, "unauthorized", "broadcast needs a token, or a caller inside SWITCHBOARD_BROADCAST_NETWORKS")
                    }
                }
                guard let text = call.request.body, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    throw HTTPError(400, "invalid_json", "the body must be a JSON object")
                }
                if (object["type"] != nil && !(object["type"] is String)) || (object["topic"] != nil && !(object["topic"] is String)) {
                    throw HTTPError(400, "invalid_body", "type and topic must be strings")
                }
                let type = object["type"] as? String ?? "notice"
                if type == "alarm" {
                    let alarm = (object["data"] as? [String: Any]) ?? object.filter { $0.key != "type" }
                    let id = try await alarms.record(alarm)
                    return .json(["published": "alarm", "id": id], status: 202)
                }
                let topic = object["topic"] as? String ?? "all"
                guard topic == "all" || topic.hasPrefix("user/") || topic.hasPrefix("room/") || topic.hasPrefix("alarm/") else {
                    throw HTTPError(400, "invalid_topic", "topic must be all, user/<name>, room/<id> or alarm/<channel>")
                }
                guard type.range(of: "^[a-z_]{1,32}$", options: .regularExpression) != nil else {
                    throw HTTPError(400, "invalid_type", "type must be lower-case letters and underscores")
                }
                let data = try JSONSerialization.data(
                    withJSONObject: object["data"] ?? [String: Any](), options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
                let bytes = ServerFrame.envelope(type, id: "\(type)_\(UUID().uuidString.prefix(8).lowercased())", dataJSON: Array(data))
                publisher.publish(topic: topic, payload: bytes)
                return .json(["published": type, "topic": topic], status: 202)
            }
        }
    }
}
