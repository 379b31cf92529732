import Bus
import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol

/// The scheduler's HTTP API: current values, recent alarms, and broadcasts from trusted callers.
enum SchedulerRoutes {
    static func make(
        redis: RedisClient, alarms: AlarmStore, publisher: EventPublisher, anonymous: AnonymousAccess = AnonymousAccess(),
        sources: TelemetrySources = .standard, broadcastNetworks: [CIDR] = []
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
                let source = call.request.query["source"] ?? TelemetryGroup.defaultSource
                guard let known = sources.types[source] else {
                    throw HTTPError(400, "invalid_source", "source must be one of \(sources.types.keys.sorted().joined(separator: ", "))")
                }
                guard known.contains(type) else {
                    throw HTTPError(400, "invalid_type", "type of \(source) must be one of \(known.joined(separator: ", "))")
                }
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
                // A token with role admin or service, or (VoltageEMS's alarmsrv has none) a caller inside the trusted
                // networks (SWITCHBOARD_BROADCAST_TRUSTED_NETWORKS), as the edge determined its address (DESIGN.md §9).
                if let principal = call.principal {
                    guard principal.roles.contains("admin") || principal.roles.contains("service") else {
                        throw HTTPError(403, "forbidden", "broadcast needs role admin or service")
                    }
                } else {
                    guard let caller = IPAddress(call.request.clientIP), broadcastNetworks.contains(caller) else {
                        throw HTTPError(
                            401, "unauthorized", "broadcast needs a token, or a caller inside \(BroadcastNetworks.variable)")
                    }
                }
                return try await Broadcast(alarms: alarms, publisher: publisher).handle(call.request.body)
            }
        }
    }
}
