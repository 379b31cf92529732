import Foundation
import SwitchboardProtocol

/// The `room/<room>` frames, written once here and sent as the same bytes to every member on every edge.
///
/// Field order is fixed (`type`, then `id`): the edge reads a frame's type and id from its first bytes without parsing
/// the rest, and a chat frame's `id` is its stream id.
enum RoomFrames {
    static func chatMessage(_ entry: ChatEntry) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + entry.content.utf8.count)
        writer.raw(#"{"type":"chat_message","id":"#)
        writer.string(entry.id)
        writer.raw(#","timestamp":"#)
        writer.integer(Int(entry.serverTime / 1000))
        writer.raw(#","data":{"room":"#)
        writer.string(entry.room)
        writer.raw(#","message_id":"#)
        writer.string(entry.id)
        if let previous = entry.previousID {
            writer.raw(#","prev_id":"#)
            writer.string(previous)
        }
        writer.raw(#","user":"#)
        writer.string(entry.user)
        writer.raw(#","content":"#)
        writer.string(entry.content)
        writer.raw(#","server_time":"#)
        writer.integer(Int(entry.serverTime))
        if let clientID = entry.clientID {
            writer.raw(#","client_id":"#)
            writer.string(clientID)
        }
        writer.raw("}}")
        return writer.bytes
    }

    /// A marker the joining connection's edge waits for: once it arrives, the edge's subscription to the room is known
    /// to be live, so a history read after it cannot miss a message. Edges never pass it to clients.
    static func marker(room: String, session: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.raw(#"{"type":"room_marker","id":"#)
        writer.string("marker_\(session)")
        writer.raw(#","timestamp":"#)
        writer.integer(Int(Date().timeIntervalSince1970))
        writer.raw(#","data":{"room":"#)
        writer.string(room)
        writer.raw(#","connection_id":"#)
        writer.string(session)
        writer.raw("}}")
        return writer.bytes
    }

    /// `member_joined` / `member_left`: who, which connection (so the edge does not echo it to that connection), and the
    /// room's members after the change.
    static func memberEvent(_ type: String, room: String, user: String, session: String, members: [String]) -> [UInt8] {
        let now = Date().timeIntervalSince1970
        var writer = JSONWriter()
        writer.raw(#"{"type":"#)
        writer.string(type)
        writer.raw(#","id":"#)
        writer.string("\(type)_\(session)_\(Int(now * 1000))")
        writer.raw(#","timestamp":"#)
        writer.integer(Int(now))
        writer.raw(#","data":{"room":"#)
        writer.string(room)
        writer.raw(#","user":"#)
        writer.string(user)
        writer.raw(#","connection_id":"#)
        writer.string(session)
        writer.raw(#","members":["#)
        for (index, member) in members.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.string(member)
        }
        writer.raw("]}}")
        return writer.bytes
    }
}
