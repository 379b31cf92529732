import ClientFrames
import Foundation
import SwitchboardProtocol

/// One client frame as a scheduler handler sees it: who sent it (as the edge authenticated it), the frame, and what the
/// handler answers. Handlers are plain values with no socket, so their decisions are tested directly.
struct Command: Sendable {
    let request: ClientCommandRequest
    let message: ClientMessage
    /// What the scheduler keeps about the connection; handlers change it, the edge stores it.
    var state: ConnectionState
    var reply = ClientCommandReply()

    init(request: ClientCommandRequest, message: ClientMessage, state: ConnectionState) {
        self.request = request
        self.message = message
        self.state = state
    }

    var principal: Principal? { request.principal }
    var user: String { request.user }
    var id: String? { message.id }

    /// The frame's `data` as `Payload`, or an `INVALID_MESSAGE` failure naming the field that is wrong.
    func payload<Payload: ClientPayload>(_ type: Payload.Type) throws(ProtocolFailure) -> Payload {
        try message.decodeData(Payload.self, empty: Payload.whenAbsent).get()
    }

    mutating func send(_ frame: [UInt8]) {
        reply.frames.append(String(decoding: frame, as: UTF8.self))
    }

    /// A reply frame `<request id>_<type>` carrying `data`.
    mutating func respond<Payload: Encodable>(_ type: String, _ data: Payload) {
        send(ServerFrame.reply(type, to: id, data))
    }

    func invalid(_ text: String) -> ProtocolFailure {
        ProtocolFailure(code: .invalidMessage, message: text, requestID: id)
    }

    func signInNeeded(_ what: String) -> ProtocolFailure {
        ProtocolFailure(code: .unauthorized, message: "\(what) needs a signed-in user", requestID: id)
    }
}

/// Why a request is refused, as the client reads it in an `INVALID_MESSAGE` error.
struct Refusal: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Handles one client message type in the scheduler.
protocol CommandHandler: Sendable {
    associatedtype Payload: ClientPayload
    /// Answers by changing `command` (frames, topics, state); a `ProtocolFailure` becomes an `error` frame, an
    /// `RPCError` of a store or service the matching `error` frame.
    func handle(_ payload: Payload, _ command: inout Command) async throws
    /// Decodes the payload and handles it; a handler that answers even an undecodable payload itself overrides it.
    func run(_ command: inout Command) async throws
}

extension CommandHandler {
    var type: String { Payload.messageType }

    func run(_ command: inout Command) async throws {
        let payload = try command.payload(Payload.self)
        try await handle(payload, &command)
    }
}
