import SwitchboardProtocol

/// `leave_room` {room}: the connection stops getting the room's frames and answers `room_left`; the other members get
/// `member_left` when this was the user's last connection in the room.
struct LeaveRoomHandler: MessageHandler {
    typealias Payload = LeaveRoomRequest
    let replies: Set<String> = ["room_left"]

    struct Left: Encodable {
        let requestID: String
        let room: String
        let members: [String]

        enum CodingKeys: String, CodingKey {
            case room, members
            case requestID = "request_id"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        guard RoomName.isValid(request.room) else { throw .invalid("room must match ^[A-Za-z0-9_.-]{1,64}$", message) }
        guard let remaining = RoomHub.shared.detach(connection, room: request.room) else {
            throw ProtocolFailure(code: .rejected, message: "not in room \(request.room)", requestID: message.id)
        }
        let members: [String]
        do {
            members = try await RoomLeaving.report(
                room: request.room, connection: connection, remaining: remaining, sessionRooms: Array(RoomHub.shared.rooms(of: connection)),
                context: context
            )
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        connection.send(ReplyFrame.make("room_left", to: message, Left(requestID: message.id ?? "", room: request.room, members: members)))
    }
}

/// Tells the scheduler that a connection left a room (presence, `member_left`, the session's rooms).
enum RoomLeaving {
    static func report(
        room: String, connection: Connection, remaining: Int, sessionRooms: [String]?, context: EdgeContext
    ) async throws(RPCError) -> [String] {
        try await context.backends.client(.scheduler).call(
            RoomLeave.self,
            .init(
                room: room, edge: context.edgeID, session: connection.id, user: connection.user, userConnections: remaining,
                sessionRooms: sessionRooms),
            timeout: .seconds(5)
        ).members
    }
}
