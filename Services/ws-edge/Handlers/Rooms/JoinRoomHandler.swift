import Foundation
import SwitchboardProtocol

/// `join_room` {room, since?}: checks the room's ACL with auth, makes the connection a member on this edge, and answers
/// `room_joined` with the members and the history (exactly what came after `since`, else the last 50), then live
/// messages with no gap and no duplicate (see `RoomChannel`). The other members get `member_joined`.
struct JoinRoomHandler: MessageHandler {
    typealias Payload = JoinRoomRequest
    let replies: Set<String> = ["room_joined"]

    static let recentHistory = 50
    static let replayLimit = 500

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

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        guard RoomName.isValid(request.room) else { throw .invalid("room must match ^[A-Za-z0-9_.-]{1,64}$", message) }
        if let since = request.since, StreamID(since) == nil {
            throw .invalid("since must be a message id such as 1712345678901-0", message)
        }
        try await RoomAccessCheck.require(request.room, for: connection, message: message, context: context)

        let channel: RoomChannel
        let fresh: Bool
        switch RoomHub.shared.attach(connection, room: request.room, context: context) {
        case .joined(let joined, let confirm):
            channel = joined
            fresh = confirm
        case .alreadyMember: throw ProtocolFailure(code: .rejected, message: "already in room \(request.room)", requestID: message.id)
        case .tooManyRooms:
            throw ProtocolFailure(code: .rejected, message: "at most \(RoomHub.maxRoomsPerConnection) rooms per connection", requestID: message.id)
        }
        let result: RoomJoin.Result
        do {
            result = try await context.backends.client(.scheduler).call(
                RoomJoin.self,
                .init(
                    room: request.room,
                    edge: context.edgeID,
                    session: connection.id,
                    user: connection.user,
                    userConnections: RoomHub.shared.connections(of: connection.user, in: request.room),
                    since: request.since,
                    historyLimit: request.since == nil ? Self.recentHistory : Self.replayLimit,
                    sessionRooms: Array(RoomHub.shared.rooms(of: connection))
                ),
                timeout: .seconds(5)
            )
        } catch {
            RoomHub.shared.detach(connection, room: request.room)
            throw error.protocolFailure(requestID: message.id)
        }
        connection.send(
            ReplyFrame.make(
                "room_joined", to: message,
                Joined(
                    requestID: message.id ?? "", room: request.room, members: result.members, history: result.history,
                    historyComplete: result.complete, lastMessageID: result.lastID)
            )
        )
        // A replay cut at `replayLimit` continues at once as `chat_message` frames, by the same catch-up a new relay does.
        await channel.activate(connection, after: StreamID(result.lastID) ?? .zero, confirmSubscription: fresh || !result.complete)
    }
}
