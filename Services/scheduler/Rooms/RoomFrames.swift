import Foundation
import SwitchboardProtocol

/// The `room/<room>` frames, written once here (by the one envelope writer) and sent as the same bytes to every member
/// on every edge. The edge never reads them: what it needs for ordered delivery travels in the event's head.
enum RoomFrames {
    static func chatMessage(_ entry: ChatEntry) -> [UInt8] {
        ServerFrame.make("chat_message", id: entry.id, timestamp: entry.serverTime / 1000, data: entry)
    }

    /// A chat message's head: its stream id and the one before it, both from the append script.
    static func chatHead(_ entry: ChatEntry) -> [UInt8] {
        EventHead(id: entry.id, prev: entry.previousID ?? StreamID.zero.description).bytes
    }

    private struct MemberEvent: Encodable {
        let room: String
        let user: String
        let connectionID: String
        let members: [String]

        enum CodingKeys: String, CodingKey {
            case room, user, members
            case connectionID = "connection_id"
        }
    }

    /// `member_joined` / `member_left`: who, which connection, and the room's members after the change.
    static func memberEvent(_ type: String, room: String, user: String, session: String, members: [String]) -> [UInt8] {
        ServerFrame.make(
            type, id: "\(type)_\(session)_\(Int(Date().timeIntervalSince1970 * 1000))",
            data: MemberEvent(room: room, user: user, connectionID: session, members: members))
    }

    /// A member event's head: the edge does not send it to the connection it is about.
    static func memberHead(session: String) -> [UInt8] {
        EventHead(origin: session).bytes
    }
}
