import Foundation
import SwitchboardProtocol

/// Applies a room ACL change (auth's `policy/room-acl` notice) to the live members on this edge: a member who may no
/// longer be in the room leaves it at once — the scheduler is told (presence, `member_left` to the others) and the
/// connection gets `room_left` with `removed: true` and the reason — instead of staying until it disconnects.
///
/// Posting is checked with auth on every `chat_message` as well (`ChatMessageHandler`), so a notice lost on the bus
/// cannot let a removed member keep posting; it would only keep receiving until it leaves.
enum RoomACLEnforcer {
    struct Removed: Encodable {
        let room: String
        let members: [String]
        let removed: Bool
        let reason: String
    }

    static func apply(payload: [UInt8], context: EdgeContext) {
        guard let notice = try? JSONDecoder().decode(RoomACLNotice.self, from: Data(payload)) else {
            context.logger.warning("dropping a room ACL notice that does not decode (\(payload.count) bytes)")
            return
        }
        guard notice.isPrivate, RoomName.isValid(notice.room) else { return }
        let allowed = Set(notice.members)
        let evicted = RoomHub.shared.members(of: notice.room).filter { connection in
            guard let principal = connection.principal else { return true }
            return !allowed.contains(principal.user) && !principal.roles.contains("admin")
        }
        guard !evicted.isEmpty else { return }
        Task {
            for connection in evicted { await evict(connection, from: notice.room, context: context) }
        }
    }

    private static func evict(_ connection: Connection, from room: String, context: EdgeContext) async {
        guard let remaining = RoomHub.shared.detach(connection, room: room) else { return }
        var members: [String] = []
        do {
            members = try await RoomLeaving.report(
                room: room, connection: connection, remaining: remaining, sessionRooms: Array(RoomHub.shared.rooms(of: connection)),
                context: context)
        } catch {
            context.logger.debug("reporting the removal of \(connection.id) from room \(room) failed: \(error)")
        }
        let reason = "\(connection.user) was removed from the access list of room \(room)"
        connection.send(
            ServerFrame.make(
                "room_left", id: ServerFrame.uniqueID("room_left"), data: Removed(room: room, members: members, removed: true, reason: reason)))
    }
}
