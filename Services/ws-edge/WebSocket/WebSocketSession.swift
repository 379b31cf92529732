import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import SwitchboardProtocol

/// Runs one upgraded connection: greets it, reads its frames through the hooks into the router, and writes its queue.
///
/// Reading and writing are separate tasks, so a client that does not read never blocks its own inbound frames, and a
/// connection cut off for a full queue stops both at once.
struct WebSocketSession: Sendable {
    let context: EdgeContext
    let hooks: HookChain
    let router: MessageRouter
    let maxMessageBytes: Int

    func run(_ connection: Connection, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        context.registry.add(connection)
        await hooks.afterConnect(connection)
        connection.send(greeting(for: connection))

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await write(connection, outbound) }
            group.addTask { await read(connection, inbound) }
            await group.next()
            connection.queue.close()
            group.cancelAll()
        }
        context.registry.remove(connection)
        await hooks.onDisconnect(connection)
    }

    private func write(_ connection: Connection, _ outbound: WebSocketOutboundWriter) async {
        while let frame = await connection.queue.next() {
            do {
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: frame)))
            } catch {
                return
            }
        }
        // A close the edge asked for (slow consumer, shutdown) is sent before the reader is cancelled, which would
        // otherwise end the connection with a plain 1000.
        if let request = connection.closeRequest {
            try? await outbound.close(WebSocketErrorCode(codeNumber: Int(request.code)), reason: request.reason)
        }
    }

    private func read(_ connection: Connection, _ inbound: WebSocketInboundStream) async {
        do {
            for try await message in inbound.messages(maxSize: maxMessageBytes) {
                if connection.closeRequest != nil { return }
                connection.countInbound()
                let raw: Data
                switch message {
                case .text(let text): raw = Data(text.utf8)
                case .binary(let buffer): raw = Data(buffer.readableBytesView)
                }
                await handle(raw, on: connection)
            }
        } catch {
            context.logger.debug("connection \(connection.id) read ended: \(error)")
        }
    }

    private func handle(_ raw: Data, on connection: Connection) async {
        let message: ClientMessage
        switch ClientMessage.parse(raw) {
        case .success(let parsed): message = parsed
        case .failure(let failure):
            connection.send(EdgeFrame.error(failure))
            return
        }
        switch await hooks.beforeMessage(message, on: connection) {
        case .proceed:
            break
        case .reject(_, let code, let text, let retryAfter):
            let failure = ProtocolFailure(
                code: ErrorCode(rawValue: code) ?? .rejected,
                message: text,
                requestID: message.id,
                details: retryAfter.map { ["retry_after_seconds": String($0)] }
            )
            connection.send(EdgeFrame.error(failure))
            return
        }
        await router.dispatch(message, on: connection)
        await hooks.afterMessage(message, on: connection)
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

    private func greeting(for connection: Connection) -> ByteBuffer {
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
            connectionID: connection.id,
            user: user,
            authenticated: connection.principal != nil,
            roles: connection.principal?.roles ?? [],
            serverTime: ServerFrame.now,
            edge: context.edgeID
        )
        return EdgeFrame.make(type, id: "\(type)_\(connection.id)", data: data)
    }
}
