import Bus
import Foundation
import Hummingbird
import SwitchboardProtocol

/// `GET /websocket/status`: connections, subscription groups and topics of every live edge (this one measured now, the
/// others as they last reported to the scheduler within 15 s). Admins and loopback callers only; others get
/// `{"status":"ok"}`.
///
/// The other edges' reports are the scheduler's (`scheduler.edges.list`): with the scheduler down the route answers 503
/// `service_unavailable` rather than a total that silently counts this edge alone.
struct StatusRoute: Sendable {
    let edgeID: String
    let registry: ConnectionRegistry
    let scheduler: RPCClient
    let handlerTypes: [String]
    let authenticator: Authenticator
    let timeout: Duration

    struct Report: Encodable {
        let edge: String
        let totalConnections: Int
        let edges: [EdgeStatus]
        let messageTypes: [String]
    }

    func register(on router: Router<EdgeRequestContext>) {
        router.get("websocket/status") { request, context -> Response in
            guard await authenticator.maySeeDetails(request, context: context) else { return JSONResponse.make(["status": "ok"]) }
            let reported: [EdgeStatus]
            do throws(RPCError) {
                reported = try await scheduler.call(EdgeStatusList.self, NoParams(), timeout: timeout).edges
            } catch {
                return JSONResponse.error(
                    RPCError.serviceUnavailableCode, "the other edges' status comes from the scheduler: \(error.message)",
                    status: .serviceUnavailable)
            }
            let mine = EdgeStatus.current(edgeID: edgeID, registry: registry)
            let edges = [mine] + reported.filter { $0.edgeID != edgeID }
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
