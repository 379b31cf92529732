import SwitchboardProtocol

/// `get_history` {room?, limit?, before?}: a page of a room's messages (for whoever the room's ACL admits), or without
/// `room` of the caller's own questions and answers; oldest first, `before` pages back by message id.
struct GetHistoryHandler: MessageHandler {
    typealias Payload = GetHistoryRequest
    let replies: Set<String> = ["history"]

    static let defaultLimit = 50
    static let maxLimit = 100

    struct RoomPage: Encodable {
        let requestID: String
        let scope = "room"
        let room: String
        let messages: [ChatEntry]
        let hasMore: Bool
        /// Where the next (older) page starts, when there is one.
        let nextBefore: String?

        enum CodingKeys: String, CodingKey {
            case scope, room, messages
            case requestID = "request_id"
            case hasMore = "has_more"
            case nextBefore = "next_before"
        }
    }

    struct QuestionPage: Encodable {
        let requestID: String
        let scope = "questions"
        let messages: [QuestionEntry]
        let hasMore: Bool
        let nextBefore: String?

        enum CodingKeys: String, CodingKey {
            case scope, messages
            case requestID = "request_id"
            case hasMore = "has_more"
            case nextBefore = "next_before"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        let limit = request.limit ?? Self.defaultLimit
        guard (1...Self.maxLimit).contains(limit) else { throw .invalid("limit must be 1 to \(Self.maxLimit)", message) }
        if let before = request.before, StreamID(before) == nil { throw .invalid("before must be a message id", message) }
        let scheduler = context.backends.client(.scheduler)
        if let room = request.room {
            guard RoomName.isValid(room) else { throw .invalid("room must match ^[A-Za-z0-9_.-]{1,64}$", message) }
            try await RoomAccessCheck.require(room, for: connection, message: message, context: context)
            do {
                let page = try await scheduler.call(RoomHistory.self, .init(room: room, before: request.before, limit: limit), timeout: .seconds(5))
                let next = page.hasMore ? page.messages.first?.id : nil
                connection.send(
                    ReplyFrame.make(
                        "history", to: message,
                        RoomPage(requestID: message.id ?? "", room: room, messages: page.messages, hasMore: page.hasMore, nextBefore: next))
                )
            } catch {
                throw error.protocolFailure(requestID: message.id)
            }
            return
        }
        guard let principal = connection.principal else { throw .signInNeeded("question history", message) }
        do {
            let page = try await scheduler.call(
                QuestionHistory.self, .init(user: principal.user, before: request.before, limit: limit), timeout: .seconds(5))
            let next = page.hasMore ? page.entries.first?.id : nil
            connection.send(
                ReplyFrame.make(
                    "history", to: message, QuestionPage(requestID: message.id ?? "", messages: page.entries, hasMore: page.hasMore, nextBefore: next)
                )
            )
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
    }
}
