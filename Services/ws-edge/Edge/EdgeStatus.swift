import Foundation
import SwitchboardProtocol

extension EdgeStatus {
    /// This edge's counts as of now, for `/websocket/status` and the report it sends the scheduler.
    static func current(edgeID: String, registry: ConnectionRegistry) -> EdgeStatus {
        var byEndpoint: [String: Int] = [:]
        for connection in registry.all {
            let key = connection.endpoint == .main ? "ws" : "permissions"
            byEndpoint[key, default: 0] += 1
        }
        return EdgeStatus(
            edgeID: edgeID,
            pid: getpid(),
            connections: registry.count,
            connectionsByEndpoint: byEndpoint,
            groups: registry.members.topics(withPrefix: "g/"),
            rooms: registry.members.topics(withPrefix: "room/").count,
            topics: registry.members.topicCount,
            updatedAt: Date().timeIntervalSince1970
        )
    }
}
