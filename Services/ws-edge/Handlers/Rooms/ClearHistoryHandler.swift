import SwitchboardProtocol

/// `clear_history` {room?}: without `room`, deletes the caller's own question history; with it, the room's history,
/// which only an admin may do. Answers `history_cleared` with how many entries went.
struct ClearHistoryHandler: MessageHandler {
    typealias Payload = ClearHistoryRequest
    let replies: Set<String> = ["history_cleared"]

    struct Cleared: Encodable {
        let requestID: String
        let scope: String
        let room: String?
        let deleted: Int

        enum CodingKeys: String, CodingKey {
            case scope, room, deleted
            case requestID = "request_id"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        guard let principal = connection.principal else { throw .signInNeeded("clear_history", message) }
        let scheduler = context.backends.client(.scheduler)
        if let room = request.room {
            guard RoomName.isValid(room) else { throw .invalid("room must match ^[A-Za-z0-9_.-]{1,64}$", message) }
            guard principal.has(role: "admin") else {
                throw ProtocolFailure(code: .forbidden, message: "only an admin may clear room \(room)", requestID: message.id)
            }
            let deleted: Int
            do {
                deleted = try await scheduler.call(RoomClear.self, .init(room: room), timeout: .seconds(5)).deleted
            } catch {
                throw error.protocolFailure(requestID: message.id)
            }
            connection.send(
                ReplyFrame.make("history_cleared", to: message, Cleared(requestID: message.id ?? "", scope: "room", room: room, deleted: deleted)))
            return
        }
        let deleted: Int
        do {
            deleted = try await scheduler.call(QuestionClear.self, .init(user: principal.user), timeout: .seconds(5)).deleted
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        connection.send(
            ReplyFrame.make("history_cleared", to: message, Cleared(requestID: message.id ?? "", scope: "questions", room: nil, deleted: deleted)))
    }
}
