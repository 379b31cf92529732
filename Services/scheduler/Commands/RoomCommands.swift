import ClientFrames
import Foundation
import SwitchboardProtocol

/// The rules the room commands share.
enum RoomRules {
    /// Rooms one connection may be in at once.
    static let maxRoomsPerConnection = 100
    static let recentHistory = 50
    static let replayLimit = 500
    static let defaultPageLimit = 50
    static let maxPageLimit = 100
    static let roomProblem = "room must match ^[A-Za-z0-9_.-]{1,64}$"

    /// How much history a join reads: exactly what came after `since` (up to `replayLimit`), else the newest 50.
    static func historyLimit(since: StreamID?) -> Int { since == nil ? recentHistory : replayLimit }

    /// Why a connection in `rooms` may not join `room`, or nil.
    static func joinRefusal(_ room: String, rooms: Set<String>) -> String? {
        if rooms.contains(room) { return "already in room \(room)" }
        if rooms.count >= maxRoomsPerConnection { return "at most \(maxRoomsPerConnection) rooms per connection" }
        return nil
    }
}

/// `join_room` {room, since?}: checks the room's ACL with auth, records the connection's presence, and answers
/// `room_joined` with the members and the history; the edge then delivers the room's live messages after the last one
/// sent (`ordered`), with no gap and no duplicate. The other members get `member_joined`.
struct JoinRoomCommand: CommandHandler {
    typealias Payload = JoinRoomRequest
    let rooms: RoomService
    let access: RoomAccessCheck

    struct Joined: Encodable {
        let requestID: String
        let room: String
        let members: [String]
        let history: [ChatEntry]
        /// False when more was missed than one `room_joined` carries: the rest follows at once as `chat_message` frames.
        let historyComplete: Bool
        let lastMessageID: String

        enum CodingKeys: String, CodingKey {
            case room, members, history
            case requestID = "request_id"
            case historyComplete = "history_complete"
            case lastMessageID = "last_message_id"
        }
    }

    func handle(_ request: JoinRoomRequest, _ command: inout Command) async throws {
        guard RoomName.isValid(request.room) else { throw command.invalid(RoomRules.roomProblem) }
        var since: StreamID?
        if let text = request.since {
            guard let parsed = StreamID(text) else { throw command.invalid("since must be a message id such as 1712345678901-0") }
            since = parsed
        }
        try await access.require(request.room, for: command)
        if let refusal = RoomRules.joinRefusal(request.room, rooms: command.state.roomSet) {
            throw ProtocolFailure(code: .rejected, message: refusal, requestID: command.id)
        }
        var roomSet = command.state.roomSet
        roomSet.insert(request.room)
        let joined = try await rooms.join(
            room: request.room, edge: command.request.edge, session: command.request.connection, user: command.user, since: since,
            limit: RoomRules.historyLimit(since: since), sessionRooms: roomSet.sorted())
        command.state.roomSet = roomSet
        command.respond(
            "room_joined",
            Joined(
                requestID: command.id ?? "", room: request.room, members: joined.members, history: joined.history,
                historyComplete: joined.complete, lastMessageID: joined.lastID))
        command.reply.ordered.append(.init(topic: RoomName.topic(request.room), after: joined.lastID))
    }
}

/// `leave_room` {room}: the connection stops getting the room's frames and gets `room_left`; the other members get
/// `member_left` when this was the user's last connection in the room.
struct LeaveRoomCommand: CommandHandler {
    typealias Payload = LeaveRoomRequest
    let rooms: RoomService

    struct Left: Encodable {
        let requestID: String
        let room: String
        let members: [String]

        enum CodingKeys: String, CodingKey {
            case room, members
            case requestID = "request_id"
        }
    }

    func handle(_ request: LeaveRoomRequest, _ command: inout Command) async throws {
        guard RoomName.isValid(request.room) else { throw command.invalid(RoomRules.roomProblem) }
        var roomSet = command.state.roomSet
        guard roomSet.remove(request.room) != nil else {
            throw ProtocolFailure(code: .rejected, message: "not in room \(request.room)", requestID: command.id)
        }
        command.state.roomSet = roomSet
        command.reply.leave.append(RoomName.topic(request.room))
        let members = try await rooms.leave(
            room: request.room, edge: command.request.edge, session: command.request.connection, user: command.user,
            sessionRooms: roomSet.sorted())
        command.respond("room_left", Left(requestID: command.id ?? "", room: request.room, members: members))
    }
}

/// `chat_message` {room, content}: a member's message, stored in the room's history and then published to every member
/// (the sender included) as one `chat_message` frame. The room ACL is asked of auth on every post.
struct ChatMessageCommand: CommandHandler {
    typealias Payload = ChatMessageRequest
    let rooms: RoomService
    let access: RoomAccessCheck

    func handle(_ request: ChatMessageRequest, _ command: inout Command) async throws {
        guard RoomName.isValid(request.room) else { throw command.invalid(RoomRules.roomProblem) }
        if let problem = InputLimits.chatContentProblem(request.content) { throw command.invalid(problem) }
        // The frame id is stored with the message as its `client_id`, so it is bounded like the content.
        if let id = command.id, let problem = InputLimits.problem("id", id, maxBytes: InputLimits.clientIDBytes) {
            throw command.invalid(problem)
        }
        guard let principal = command.principal else { throw command.signInNeeded("chat") }
        guard command.state.roomSet.contains(request.room) else {
            throw ProtocolFailure(code: .forbidden, message: "join room \(request.room) before posting to it", requestID: command.id)
        }
        // Every post, not only the join: an ACL change applies to the next message even if its notice was lost.
        try await access.require(request.room, for: command)
        _ = try await rooms.post(room: request.room, user: principal.user, content: request.content, clientID: command.id)
    }
}

/// `get_history` {room?, limit?, before?}: a page of a room's messages (for whoever the room's ACL admits), or without
/// `room` of the caller's own questions and answers; oldest first, `before` pages back by message id.
struct GetHistoryCommand: CommandHandler {
    typealias Payload = GetHistoryRequest
    let rooms: RoomService
    let questions: QuestionStore
    let access: RoomAccessCheck

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

    func handle(_ request: GetHistoryRequest, _ command: inout Command) async throws {
        let limit = request.limit ?? RoomRules.defaultPageLimit
        guard (1...RoomRules.maxPageLimit).contains(limit) else { throw command.invalid("limit must be 1 to \(RoomRules.maxPageLimit)") }
        var before: StreamID?
        if let text = request.before {
            guard let parsed = StreamID(text) else { throw command.invalid("before must be a message id") }
            before = parsed
        }
        if let room = request.room {
            guard RoomName.isValid(room) else { throw command.invalid(RoomRules.roomProblem) }
            try await access.require(room, for: command)
            let page = try await rooms.history.page(room: room, before: before, after: nil, limit: limit)
            let next = page.hasMore ? page.messages.first?.id : nil
            command.respond(
                "history", RoomPage(requestID: command.id ?? "", room: room, messages: page.messages, hasMore: page.hasMore, nextBefore: next))
            return
        }
        guard let principal = command.principal else { throw command.signInNeeded("question history") }
        let page = try await questions.history(user: principal.user, before: before, limit: limit)
        let next = page.hasMore ? page.entries.first?.id : nil
        command.respond("history", QuestionPage(requestID: command.id ?? "", messages: page.entries, hasMore: page.hasMore, nextBefore: next))
    }
}

/// `clear_history` {room?}: without `room`, deletes the caller's own question history; with it, the room's history,
/// which only an admin may do. Answers `history_cleared` with how many entries went.
struct ClearHistoryCommand: CommandHandler {
    typealias Payload = ClearHistoryRequest
    let rooms: RoomService
    let questions: QuestionStore

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

    /// Only an admin clears a room.
    static func mayClear(room: String, _ principal: Principal) -> Bool { principal.roles.contains("admin") }

    func handle(_ request: ClearHistoryRequest, _ command: inout Command) async throws {
        guard let principal = command.principal else { throw command.signInNeeded("clear_history") }
        if let room = request.room {
            guard RoomName.isValid(room) else { throw command.invalid(RoomRules.roomProblem) }
            guard Self.mayClear(room: room, principal) else {
                throw ProtocolFailure(code: .forbidden, message: "only an admin may clear room \(room)", requestID: command.id)
            }
            let deleted = try await rooms.history.clear(room: room)
            command.respond("history_cleared", Cleared(requestID: command.id ?? "", scope: "room", room: room, deleted: deleted))
            return
        }
        let deleted = try await questions.clear(user: principal.user)
        command.respond("history_cleared", Cleared(requestID: command.id ?? "", scope: "questions", room: nil, deleted: deleted))
    }
}
