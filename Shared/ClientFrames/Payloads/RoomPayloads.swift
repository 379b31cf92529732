/// `join_room` {room, since?}: `since` is the last message id the client saw.
public struct JoinRoomRequest: ClientPayload {
    public static let messageType = "join_room"
    public let room: String
    public let since: String?
}

/// `leave_room` {room}.
public struct LeaveRoomRequest: ClientPayload {
    public static let messageType = "leave_room"
    public let room: String
}

/// `chat_message` {room, content}.
public struct ChatMessageRequest: ClientPayload {
    public static let messageType = "chat_message"
    public let room: String
    public let content: String
}

/// `get_history` {room?, limit?, before?}: a room's messages, or without `room` the caller's own questions.
public struct GetHistoryRequest: ClientPayload {
    public static let messageType = "get_history"
    public static let whenAbsent: GetHistoryRequest? = GetHistoryRequest(room: nil, limit: nil, before: nil)

    public let room: String?
    public let limit: Int?
    public let before: String?
}

/// `clear_history` {room?}: a room's history (admins), or without `room` the caller's own questions.
public struct ClearHistoryRequest: ClientPayload {
    public static let messageType = "clear_history"
    public static let whenAbsent: ClearHistoryRequest? = ClearHistoryRequest(room: nil)

    public let room: String?
}
