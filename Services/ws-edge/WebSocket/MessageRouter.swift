import Bus
import Foundation
import Logging
import NIOCore
import SwitchboardProtocol

/// What the router and the session use: the backends, the registry, the ordered topics, this edge's identity.
struct EdgeContext: Sendable {
    let edgeID: String
    let backends: Backends
    let registry: ConnectionRegistry
    let ordered: OrderedTopics
    /// `connected`/`disconnected` to the scheduler, batched (a Service in the edge's group).
    let connectionEvents: ConnectionEventBatcher
    let logger: Logger
    /// How long a service has to answer one client frame (`SWITCHBOARD_RPC_TIMEOUT_MS`).
    var commandTimeout: Duration = .seconds(5)
}

extension Connection.Endpoint {
    var kind: MessageEntry.Endpoint {
        switch self {
        case .main: .main
        case .permissions: .permissions
        }
    }
}

/// Where the first reply frame of one command goes when its client asked for an acknowledgement (Socket.IO's `ACK`);
/// nil when the command had no reply frame, so the client's callback still fires.
typealias ReplyAcknowledgement = @Sendable (ByteBuffer?) -> Void

/// The table *message type → service* (`ClientMessageCatalog`), like the HTTP forward table: every client frame goes as it
/// arrived to the one service that owns its type (`<service>.command`), and the edge applies the reply. The edge
/// answers only `ping` and `heartbeat` itself; an unknown type (or one the endpoint does not take) gets
/// `UNKNOWN_TYPE`.
struct MessageRouter: Sendable {
    let context: EdgeContext

    var types: [String] { ClientMessageCatalog.entries.map(\.type).sorted() }

    /// Every message type's schema, by type.
    var schemas: [MessageSchema] { ClientMessageCatalog.entries.sorted { $0.type < $1.type }.map(\.schema) }

    /// Longest part of an unknown `type` quoted back in the error (a client may send a megabyte of it).
    static let maxQuotedTypeLength = 64

    /// Where a message goes, decided on the connection's loop: answered at once (`ping`, `heartbeat`, an unknown
    /// type), or forwarded to its service.
    enum Route {
        case answer(ByteBuffer)
        case service(ServiceName)
    }

    func route(_ message: ClientMessage, on connection: Connection) -> Route {
        guard let entry = ClientMessageCatalog.byType[message.type], entry.endpoints.contains(connection.endpoint.kind) else {
            return .answer(
                EdgeFrame.error(
                    .init(
                        code: .unknownType, message: "unknown message type `\(message.type.prefix(Self.maxQuotedTypeLength))`",
                        requestID: message.id)))
        }
        switch entry.owner {
        case .edge:
            do {
                return .answer(try EdgeAnswers.answer(message))
            } catch {
                var failure = error
                if failure.requestID == nil { failure.requestID = message.id }
                return .answer(EdgeFrame.error(failure))
            }
        case .service(let service):
            return .service(service)
        }
    }

    /// `<service>.command` for one frame, its reply applied to the connection (called in turn with its other calls).
    /// With `acknowledge` (a Socket.IO emit that asked for an acknowledgement), the first reply frame, or the error,
    /// goes there instead of to the connection.
    func forward(_ message: ClientMessage, to service: ServiceName, on connection: Connection, acknowledge: ReplyAcknowledgement? = nil) async {
        let request = ClientCommandRequest(
            edge: context.edgeID, connection: connection.id, principal: connection.principal, ip: connection.ip,
            endpoint: connection.endpoint.kind.rawValue, type: message.type, id: message.id, frame: String(decoding: message.raw, as: UTF8.self),
            state: connection.state(for: service))
        let reply: ClientCommandReply
        do {
            reply = try await Self.call(service, request, context: context)
        } catch {
            let frame = EdgeFrame.error(error.protocolFailure(requestID: message.id))
            if let acknowledge { acknowledge(frame) } else { connection.send(frame) }
            return
        }
        await CommandReplyApplier(context: context).apply(reply, from: service, to: connection, acknowledge: acknowledge)
    }

    /// `<service>.command`.
    static func call(_ service: ServiceName, _ request: ClientCommandRequest, context: EdgeContext) async throws(RPCError) -> ClientCommandReply {
        let client = context.backends.client(service)
        switch service {
        case .menu: return try await client.call(MenuCommand.self, request, timeout: context.commandTimeout)
        case .scheduler: return try await client.call(SchedulerCommand.self, request, timeout: context.commandTimeout)
        case .auth, .signer: throw RPCError(code: RPCError.internalCode, message: "\(service) handles no client frames")
        }
    }
}
