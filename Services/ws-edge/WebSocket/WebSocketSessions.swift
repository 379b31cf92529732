import NIOCore
import SwitchboardProtocol
import Synchronization

/// What every `/ws` connection's handler shares: the edge's context, hooks and router, the connection numbering and
/// the bounds. One instance for the whole edge, so a connection carries one reference, not copies.
final class WebSocketSessions: Sendable {
    let context: EdgeContext
    let hooks: HookChain
    let router: MessageRouter
    let settings: WebSocketSettings
    private let sequence = Atomic<UInt64>(0)

    init(context: EdgeContext, hooks: HookChain, router: MessageRouter, settings: WebSocketSettings) {
        self.context = context
        self.hooks = hooks
        self.router = router
        self.settings = settings
    }

    func nextID() -> String { "\(context.edgeID)-\(sequence.wrappingAdd(1, ordering: .relaxed).newValue)" }

    /// What a connection is told first: its id, who it is, this edge.
    func greeting(for connection: Connection) -> ByteBuffer {
        let type: String
        let user: String
        switch connection.endpoint {
        case .main:
            type = "connection_established"
            user = connection.user
        case .permissions(let target):
            type = "connection_confirmed"
            user = target
        }
        let data = Greeting(
            connectionID: connection.id, user: user, authenticated: connection.principal != nil, roles: connection.principal?.roles ?? [],
            serverTime: ServerFrame.now, edge: context.edgeID)
        return EdgeFrame.make(type, id: "\(type)_\(connection.id)", data: data)
    }

    private struct Greeting: Encodable {
        let connectionID: String
        let user: String
        let authenticated: Bool
        let roles: [String]
        let serverTime: Int64
        let edge: String

        enum CodingKeys: String, CodingKey {
            case connectionID = "connection_id"
            case user, authenticated, roles, edge
            case serverTime = "server_time"
        }
    }
}
