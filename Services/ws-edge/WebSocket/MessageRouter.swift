import Logging
import NIOCore

/// What a message handler may use: the backends, the registry, this edge's identity.
struct EdgeContext: Sendable {
    let edgeID: String
    let backends: Backends
    let registry: ConnectionRegistry
    let logger: Logger
}

/// Handles one client message type (`subscribe`, `ping`, …). One type, one handler.
protocol MessageHandler: Sendable {
    var type: String { get }
    /// Which endpoints accept this type.
    var endpoints: Set<EndpointKind> { get }
    /// Answers by sending frames on `connection`; a `ProtocolFailure` becomes an `error` frame and the connection stays open.
    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure)
}

enum EndpointKind: Sendable, Hashable {
    case main
    case permissions
}

extension MessageHandler {
    var endpoints: Set<EndpointKind> { [.main] }
}

extension Connection.Endpoint {
    var kind: EndpointKind {
        switch self {
        case .main: .main
        case .permissions: .permissions
        }
    }
}

/// The registry of message handlers; unknown types get an `UNKNOWN_TYPE` error frame.
struct MessageRouter: Sendable {
    private let handlers: [String: any MessageHandler]

    init(_ handlers: [any MessageHandler]) {
        var table: [String: any MessageHandler] = [:]
        for handler in handlers {
            precondition(table[handler.type] == nil, "two handlers for message type \(handler.type)")
            table[handler.type] = handler
        }
        self.handlers = table
    }

    var types: [String] { handlers.keys.sorted() }

    func dispatch(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async {
        guard let handler = handlers[message.type], handler.endpoints.contains(connection.endpoint.kind) else {
            connection.send(
                ServerFrame.error(.init(code: .unknownType, message: "unknown message type `\(message.type)`", requestID: message.id))
            )
            return
        }
        do {
            try await handler.handle(message, on: connection, context: context)
        } catch {
            var failure = error
            if failure.requestID == nil { failure.requestID = message.id }
            connection.send(ServerFrame.error(failure))
        }
    }
}
