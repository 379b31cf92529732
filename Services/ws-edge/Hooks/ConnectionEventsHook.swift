import Foundation
import SwitchboardProtocol

/// The storage hook (priority 60): tells the scheduler when a connection opens (it records `session:{sid}`) and when
/// it closes (it takes the connection out of its rooms, the other members get `member_left`, and deletes the session).
/// The edge only reports; what is stored is the scheduler's.
///
/// Sessions and presence of an edge that dies are not cleaned up by anyone: they expire (see `OrderedTopics` for the
/// renewal).
struct ConnectionEventsHook: Hook {
    let name = "room-presence"
    let priority = HookPriority.storage
    let context: EdgeContext

    func afterConnect(_ connection: Connection) async throws {
        context.ordered.startMaintenance(context: context)
        try await ConnectionEvent.open(connection, context: context)
    }

    func onDisconnect(_ connection: Connection) async throws {
        context.ordered.detachAll(connection, context: context)
        try await ConnectionEvent.report(SchedulerConnectionEvent.disconnected, for: connection, context: context)
    }
}

/// `scheduler.connection(s)` for one connection.
enum ConnectionEvent {
    static func request(_ type: String, for connection: Connection, frame: String = "", context: EdgeContext) -> ClientCommandRequest {
        .init(
            edge: context.edgeID, connection: connection.id, principal: connection.principal, ip: connection.ip,
            endpoint: connection.endpoint.kind.rawValue, type: type, id: nil, frame: frame, state: connection.state(for: .scheduler))
    }

    /// `connected`, whose reply is applied (the scheduler puts a `/ws` connection on the alarm topics when
    /// `SWITCHBOARD_ALARMS_TO_ALL` is on). The connect and disconnect hooks already run in turn with the connection's
    /// other calls (`WebSocketConnectionHandler`). Opens and closes go in batches (`ConnectionEventBatcher`).
    static func open(_ connection: Connection, context: EdgeContext) async throws(RPCError) {
        let reply = try await context.connectionEvents.submit(request(SchedulerConnectionEvent.connected, for: connection, context: context))
        await CommandReplyApplier(context: context).apply(reply, from: .scheduler, to: connection)
    }

    /// Sends an event whose reply is not applied (the connection is gone).
    static func report(_ type: String, for connection: Connection, context: EdgeContext) async throws(RPCError) {
        _ = try await context.connectionEvents.submit(request(type, for: connection, context: context))
    }

    /// Auth changed a room's ACL (`policy/room-acl`): each local member of the room is checked by the scheduler, which
    /// takes out whoever may no longer be there (`room_left` with `removed: true`).
    static func roomACLChanged(_ payload: [UInt8], context: EdgeContext) {
        guard let notice = try? JSONDecoder().decode(RoomACLNotice.self, from: Data(payload)), RoomName.isValid(notice.room) else {
            context.logger.warning("dropping a room ACL notice that does not decode (\(payload.count) bytes)")
            return
        }
        let members = context.ordered.members(of: RoomName.topic(notice.room))
        guard !members.isEmpty else { return }
        let frame = String(decoding: payload, as: UTF8.self)
        Task {
            for connection in members {
                await connection.serially {
                    do {
                        let reply = try await context.backends.client(.scheduler).call(
                            SchedulerConnectionEvent.self, request(SchedulerConnectionEvent.roomACL, for: connection, frame: frame, context: context),
                            timeout: .seconds(2))
                        await CommandReplyApplier(context: context).apply(reply, from: .scheduler, to: connection)
                    } catch {
                        context.logger.debug("room ACL check of \(connection.id) in \(notice.room) failed: \(error)")
                    }
                }
            }
        }
    }
}
