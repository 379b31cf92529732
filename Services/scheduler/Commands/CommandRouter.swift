import Bus
import ClientFrames
import Foundation
import SwitchboardProtocol

/// `scheduler.command`: the table *message type → handler* of every client type the scheduler owns
/// (`ClientMessageCatalog.types(of: .scheduler)`), and the error frame for what fails.
struct CommandRouter: Sendable {
    private let handlers: [String: any CommandHandler]

    init(_ handlers: [any CommandHandler]) {
        var table: [String: any CommandHandler] = [:]
        for handler in handlers {
            precondition(table[handler.type] == nil, "two handlers for message type \(handler.type)")
            table[handler.type] = handler
        }
        self.handlers = table
    }

    var types: Set<String> { Set(handlers.keys) }

    func register(on rpc: RPCServer) {
        rpc.register(SchedulerCommand.self) { request, _ in await handle(request) }
    }

    /// Runs one frame; every failure is an `error` frame in the reply (with the state unchanged), never an RPC error.
    func handle(_ request: ClientCommandRequest) async -> ClientCommandReply {
        let message: ClientMessage
        switch ClientMessage.parse(Data(request.frame.utf8)) {
        case .success(let parsed): message = parsed
        case .failure(let failure): return Self.failed(failure)
        }
        guard let handler = handlers[message.type] else {
            return Self.failed(
                ProtocolFailure(
                    code: .unknownType, message: "unknown message type `\(message.type.prefix(64))`", requestID: message.id))
        }
        let state = ConnectionState(text: request.state)
        var command = Command(request: request, message: message, state: state)
        do {
            try await handler.run(&command)
        } catch {
            return Self.failed(Self.failure(error, requestID: message.id))
        }
        if command.state != state { command.reply.state = command.state.text }
        return command.reply
    }

    static func failed(_ failure: ProtocolFailure) -> ClientCommandReply {
        ClientCommandReply(frames: [String(decoding: ServerFrame.error(failure), as: UTF8.self)])
    }

    static func failure(_ error: any Error, requestID: String?) -> ProtocolFailure {
        switch error {
        case var failure as ProtocolFailure:
            if failure.requestID == nil { failure.requestID = requestID }
            return failure
        case let error as RPCError: return error.protocolFailure(requestID: requestID)
        default: return ProtocolFailure(code: .internalError, message: "\(error)", requestID: requestID)
        }
    }
}
