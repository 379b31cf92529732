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
///
/// The type's `data` is `Payload`, decoded with `payload(of:)`; its name and fields come from that type, so the schema
/// the edge publishes (`/docs/websocket.json`) is recorded from exactly what the handler decodes.
protocol MessageHandler: Sendable {
    associatedtype Payload: ClientPayload
    /// Which endpoints accept this type.
    var endpoints: Set<EndpointKind> { get }
    /// The frame types that answer this one besides `error` (the bad-input suite accepts only these or an error).
    var replies: Set<String> { get }
    /// Answers by sending frames on `connection`; a `ProtocolFailure` becomes an `error` frame and the connection stays open.
    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure)
}

enum EndpointKind: Sendable, Hashable {
    case main
    case permissions

    var name: String {
        switch self {
        case .main: "main"
        case .permissions: "permissions"
        }
    }
}

extension MessageHandler {
    var type: String { Payload.messageType }

    var endpoints: Set<EndpointKind> { [.main] }

    /// The frame's `data` as this handler's payload, or an `INVALID_MESSAGE` failure naming the field that is wrong.
    func payload(of message: ClientMessage) -> Result<Payload, ProtocolFailure> {
        message.decodeData(Payload.self, empty: Payload.whenAbsent)
    }

    var schema: MessageSchema {
        MessageSchema(
            type: type, payload: String(describing: Payload.self), endpoints: endpoints.map(\.name).sorted(), replies: replies.sorted(),
            fields: PayloadSchema(payload: Payload.self).fields)
    }
}

/// One message type as `/docs/websocket.json` describes it.
struct MessageSchema: Encodable, Sendable {
    let type: String
    /// The Swift type of `data`, so the bad-input suite can check that the fuzzer knows every payload.
    let payload: String
    let endpoints: [String]
    let replies: [String]
    let fields: [PayloadSchema.Field]
    /// A valid frame of this type from the docs' frame table, when it has one (filled in by `MessageSchemaRoute`).
    var example: String? = nil
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

    /// Every handler's message schema, by type.
    var schemas: [MessageSchema] { handlers.keys.sorted().compactMap { handlers[$0]?.schema } }

    /// Longest part of an unknown `type` quoted back in the error (a client may send a megabyte of it).
    static let maxQuotedTypeLength = 64

    func dispatch(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async {
        guard let handler = handlers[message.type], handler.endpoints.contains(connection.endpoint.kind) else {
            connection.send(
                ServerFrame.error(
                    .init(
                        code: .unknownType, message: "unknown message type `\(message.type.prefix(Self.maxQuotedTypeLength))`",
                        requestID: message.id))
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
