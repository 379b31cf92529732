import Foundation

/// One edge's connection and subscription counts, as `/websocket/status` shows them and as each edge stores them in
/// Redis (`edges:status`) so any edge can report all of them.
struct EdgeStatus: Codable, Sendable {
    let edgeID: String
    let pid: Int32
    let connections: Int
    let connectionsByEndpoint: [String: Int]
    /// Telemetry subscription groups (`g/…` topics) with their local member counts.
    let groups: [String: Int]
    let rooms: Int
    let topics: Int
    let updatedAt: Double

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
