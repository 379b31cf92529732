import SwitchboardProtocol

/// `chat_message` {room, content}: a member's message, stored in the room's history by the scheduler and then sent to
/// every member (the sender included) as one `chat_message` frame with its stream id, server time, user and the sender's
/// frame id as `client_id`. The room ACL is asked of auth on every post. The per-user message rate limit is the edge's
/// rate-limit hook. Content and id are bounded in UTF-8 bytes (`InputLimits`); the scheduler checks the same, so a
/// bypassed edge stores nothing bigger.
struct ChatMessageHandler: MessageHandler {
    typealias Payload = ChatMessageRequest
    let replies: Set<String> = ["chat_message"]

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        guard RoomName.isValid(request.room) else { throw .invalid("room must match ^[A-Za-z0-9_.-]{1,64}$", message) }
        if let problem = InputLimits.chatContentProblem(request.content) { throw .invalid(problem, message) }
        // The frame id is stored with the message as its `client_id`, so it is bounded like the content.
        if let id = message.id, let problem = InputLimits.problem("id", id, maxBytes: InputLimits.clientIDBytes) {
            throw .invalid(problem, message)
        }
        guard let principal = connection.principal else { throw .signInNeeded("chat", message) }
        guard RoomHub.shared.rooms(of: connection).contains(request.room) else {
            throw ProtocolFailure(code: .forbidden, message: "join room \(request.room) before posting to it", requestID: message.id)
        }
        // Every post, not only the join: an ACL change applies to the next message even if its notice was lost.
        try await RoomAccessCheck.require(request.room, for: connection, message: message, context: context)
        do {
            _ = try await context.backends.client(.scheduler).call(
                ChatPost.self, .init(room: request.room, user: principal.user, content: request.content, clientID: message.id),
                timeout: .seconds(5))
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
    }
}
