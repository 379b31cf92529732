import Bus
import ClientFrames
import Foundation
import Logging
import ServiceKit
import SwitchboardProtocol

/// `scheduler.connection`: what happens to a connection outside its frames. `connected` records its session
/// (`session:{sid}`) and, with `SWITCHBOARD_ALARMS_TO_ALL` on, puts a `/ws` connection on the alarm topics — the
/// VoltageEMS dashboard never sends `subscribe_alarms`, its old gateway sent every alarm to every socket;
/// `disconnected` takes it out of its rooms (the others get `member_left`) and deletes the session; `room_acl` (auth's
/// notice) takes it out of a room whose ACL no longer admits it, with `room_left` `removed: true`. Opens and closes
/// usually arrive batched (`scheduler.connections`), their session records written in one pipeline.
struct ConnectionEvents: Sendable {
    let rooms: RoomService
    let sessions: SessionStore
    /// Every `/ws` connection receives alarms without asking (`SWITCHBOARD_ALARMS_TO_ALL`, default on).
    var alarmsToAll = true
    var anonymous = AnonymousAccess()
    let logger: Logger

    struct Removed: Encodable {
        let room: String
        let members: [String]
        let removed: Bool
        let reason: String
    }

    func register(on rpc: RPCServer) {
        rpc.register(SchedulerConnectionEvent.self) { request, _ in try await handle(request) }
        rpc.register(SchedulerConnectionEvents.self) { batch, _ in await handle(batch) }
    }

    /// A batch of `connected`/`disconnected` events: rooms are left one by one (each is a room change others see), and
    /// every session record of the batch is written in one Redis pipeline. An event that fails (a bad session id, an
    /// unknown type) gets its own error; a failed pipeline fails the events whose records it carried.
    func handle(_ batch: ConnectionEventBatch) async -> ConnectionEventOutcomes {
        let events = batch.events.prefix(SchedulerConnectionEvents.maxEvents)
        var outcomes: [ConnectionEventOutcomes.Outcome] = []
        outcomes.reserveCapacity(batch.events.count)
        var commands: [[String]] = []
        var written: [Int] = []
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for request in events {
            do {
                switch request.type {
                case SchedulerConnectionEvent.connected:
                    commands += try sessions.openCommands(
                        session: request.connection, user: request.user, ip: request.ip, edge: request.edge, connectedAt: now)
                    outcomes.append(.init(reply: Self.opening(request, alarmsToAll: alarmsToAll, anonymous: anonymous)))
                case SchedulerConnectionEvent.disconnected:
                    let close = try sessions.closeCommands(session: request.connection)
                    await leaveRooms(of: request)
                    commands += close
                    outcomes.append(.init(reply: ClientCommandReply()))
                default:
                    throw RPCError.badRequest("\(SchedulerConnectionEvents.name) carries connected and disconnected events only")
                }
                written.append(outcomes.count - 1)
            } catch {
                outcomes.append(.init(error: error as? RPCError ?? RPCError(code: RPCError.internalCode, message: "\(error)")))
            }
        }
        for _ in events.count..<batch.events.count {
            outcomes.append(.init(error: .badRequest("a batch carries at most \(SchedulerConnectionEvents.maxEvents) events")))
        }
        do {
            _ = try await sessions.redis.pipeline(commands)
        } catch {
            let failure = RPCError(code: RPCError.serviceUnavailableCode, message: "recording sessions failed: \(error)")
            for index in written { outcomes[index] = .init(error: failure) }
        }
        return ConnectionEventOutcomes(outcomes: outcomes)
    }

    private func leaveRooms(of request: ClientCommandRequest) async {
        for room in ConnectionState(text: request.state).roomSet.sorted() {
            do {
                _ = try await rooms.leave(room: room, edge: request.edge, session: request.connection, user: request.user, sessionRooms: nil)
            } catch {
                logger.debug("leaving room \(room) for closed connection \(request.connection) failed: \(error)")
            }
        }
    }

    func handle(_ request: ClientCommandRequest) async throws -> ClientCommandReply {
        switch request.type {
        case SchedulerConnectionEvent.connected:
            try await sessions.open(
                session: request.connection, user: request.user, ip: request.ip, edge: request.edge,
                connectedAt: Int64(Date().timeIntervalSince1970 * 1000))
            return Self.opening(request, alarmsToAll: alarmsToAll, anonymous: anonymous)
        case SchedulerConnectionEvent.disconnected:
            await leaveRooms(of: request)
            try await sessions.close(session: request.connection)
            return ClientCommandReply()
        case SchedulerConnectionEvent.roomACL:
            return try await applyACL(request)
        default:
            throw RPCError.badRequest("unknown connection event \(request.type.prefix(64))")
        }
    }

    /// What a new connection follows before it asks for anything: all alarms, on `/ws`, for whoever may receive them.
    static func opening(_ request: ClientCommandRequest, alarmsToAll: Bool, anonymous: AnonymousAccess) -> ClientCommandReply {
        guard alarmsToAll, request.endpoint == "main", request.principal != nil || anonymous.alarms else { return ClientCommandReply() }
        var state = ConnectionState(text: request.state)
        guard state.alarms == nil else { return ClientCommandReply() }
        state.alarms = AlarmTopics.everything
        return ClientCommandReply(join: AlarmTopics.everything, state: state.text)
    }

    private func applyACL(_ request: ClientCommandRequest) async throws -> ClientCommandReply {
        guard let notice = try? JSONDecoder().decode(RoomACLNotice.self, from: Data(request.frame.utf8)) else {
            throw RPCError.badRequest("the room ACL notice does not decode")
        }
        var state = ConnectionState(text: request.state)
        var roomSet = state.roomSet
        guard RoomName.isValid(notice.room), roomSet.contains(notice.room), !RoomAccessCheck.admits(notice, request.principal) else {
            return ClientCommandReply()
        }
        roomSet.remove(notice.room)
        state.roomSet = roomSet
        var members: [String] = []
        do {
            members = try await rooms.leave(
                room: notice.room, edge: request.edge, session: request.connection, user: request.user, sessionRooms: roomSet.sorted())
        } catch {
            logger.debug("reporting the removal of \(request.connection) from room \(notice.room) failed: \(error)")
        }
        let reason = "\(request.user) was removed from the access list of room \(notice.room)"
        let frame = ServerFrame.make(
            "room_left", id: ServerFrame.uniqueID("room_left"), data: Removed(room: notice.room, members: members, removed: true, reason: reason))
        return ClientCommandReply(
            frames: [String(decoding: frame, as: UTF8.self)], leave: [RoomName.topic(notice.room)], state: state.text)
    }
}
