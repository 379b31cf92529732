import Foundation
import Hummingbird
import Redis

/// `GET /websocket/status`: connections, subscription groups and topics of every live edge (this one measured now, the
/// others as they last reported to Redis within 15 s). Admins and loopback callers only; others get `{"status":"ok"}`.
struct StatusRoute: Sendable {
    let edgeID: String
    let registry: ConnectionRegistry
    let redis: RedisClient
    let handlerTypes: [String]
    let authenticator: Authenticator

    struct Report: Encodable {
        let edge: String
        let totalConnections: Int
        let edges: [EdgeStatus]
        let messageTypes: [String]
    }

    func register(on router: Router<EdgeRequestContext>) {
        router.get("websocket/status") { request, context -> Response in
            guard await authenticator.maySeeDetails(request, context: context) else { return JSONResponse.make(["status": "ok"]) }
            let mine = EdgeStatus.current(edgeID: edgeID, registry: registry)
            var edges = [mine]
            if let stored = try? await redis.send(["HGETALL", EdgeMaintenance.statusKey]).array {
                let now = Date().timeIntervalSince1970
                for index in stride(from: 0, to: stored.count - 1, by: 2) {
                    guard let id = stored[index].text, id != edgeID, let json = stored[index + 1].text,
                        let status = try? JSONDecoder().decode(EdgeStatus.self, from: Data(json.utf8)),
                        now - status.updatedAt < 15
                    else { continue }
                    edges.append(status)
                }
            }
            let report = Report(
                edge: edgeID,
                totalConnections: edges.reduce(0) { $0 + $1.connections },
                edges: edges.sorted { $0.edgeID < $1.edgeID },
                messageTypes: handlerTypes
            )
            return JSONResponse.make(report)
        }
    }
}
