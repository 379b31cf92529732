import SwitchboardProtocol

/// `chat_message` {room, content}: a member's message, stored in the room's history by the scheduler and then sent to
/// every member (the sender included) as one `chat_message` frame with its stream id, server time, user and the sender's
/// frame id as `client_id`. The per-user message rate limit is the edge's rate-limit hook.
struct ChatMessageHandler: MessageHandler {
    typealias Payload = ChatMessageRequest
    let replies: Set<String> = ["chat_message"]

    static let maxContentLength = 2000

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        guard RoomName.isValid(request.room) else { throw .invalid("room must match ^[A-Za-z0-9_.-]{1,64}$", message) }
        guard (1...Self.maxContentLength).contains(request.content.count),
            !request.content.allSatisfy({ $0.isWhitespace })
        else {
            throw .invalid("content must be 1 to \(Self.maxContentLength) characters and not blank", message)
        }
        guard let principal = connection.principal else { throw .signInNeeded("chat", message) }
        guard RoomHub.shared.rooms(of: connection).contains(request.room) else {
            throw ProtocolFailure(code: .forbidden, message: "join room \(request.room) before posting to it", requestID: message.id)
        }
        do {
            _ = try await context.backends.client(.scheduler).call(
                ChatPost.self, .init(room: request.room, user: principal.user, content: request.content, clientID: message.id),
                timeout: .seconds(5))
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
    }
}
