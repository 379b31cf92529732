import Foundation
import SwitchboardProtocol

/// The storage hook (priority 60): records every connection as `session:{sid}` when it opens, and when it closes takes
/// it out of all its rooms (the other members get `member_left`) and deletes its session.
///
/// Sessions and presence of an edge that dies are not cleaned up by anyone: they expire (see `RoomHub` for the renewal).
struct RoomPresenceHook: Hook {
    let name = "room-presence"
    let priority = HookPriority.storage
    let context: EdgeContext

    func afterConnect(_ connection: Connection) async throws {
        RoomHub.shared.startMaintenance(context: context)
        _ = try await context.backends.client(.scheduler).call(
            SessionOpen.self,
            .init(
                session: connection.id, user: connection.user, ip: connection.ip, edge: context.edgeID,
                connectedAt: Int64(connection.connectedAt.timeIntervalSince1970 * 1000)),
            timeout: .seconds(2)
        )
    }

    func onDisconnect(_ connection: Connection) async throws {
        for room in RoomHub.shared.rooms(of: connection) {
            guard let remaining = RoomHub.shared.detach(connection, room: room) else { continue }
            do {
                _ = try await RoomLeaving.report(room: room, connection: connection, remaining: remaining, sessionRooms: nil, context: context)
            } catch {
                context.logger.debug("leaving room \(room) for closed connection \(connection.id) failed: \(error)")
            }
        }
        _ = try await context.backends.client(.scheduler).call(SessionClose.self, .init(session: connection.id), timeout: .seconds(2))
    }
}
