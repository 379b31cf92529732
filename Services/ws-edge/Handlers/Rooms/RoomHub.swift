import Foundation
import ServiceKit
import SwitchboardProtocol
import Synchronization

/// Every room that has members on this edge, and the edge's periodic presence and session renewal.
///
/// One per edge process, like the registry: the room handlers and the disconnect hook are built separately in
/// `main.swift`, and this is where they meet. A room's channel exists while it has local members.
final class RoomHub: Sendable {
    static let shared = RoomHub()

    /// Rooms one connection may be in at once.
    static let maxRoomsPerConnection = 100
    /// The connection attachment holding the rooms a connection is in.
    static let attachmentKey = "rooms"

    private struct State {
        var channels: [String: RoomChannel] = [:]
        var maintenance: Task<Void, Never>?
    }

    private let state = Mutex(State())

    enum AttachOutcome {
        /// `confirmSubscription`: the room's relay on this edge has not yet shown that its subscription is live.
        case joined(RoomChannel, confirmSubscription: Bool)
        case alreadyMember
        case tooManyRooms
    }

    /// Makes the connection a (pending) member of the room on this edge.
    func attach(_ connection: Connection, room: String, context: EdgeContext) -> AttachOutcome {
        let admitted = connection.updateAttachment(Self.attachmentKey, default: Set<String>()) { rooms -> AttachOutcome? in
            if rooms.contains(room) { return .alreadyMember }
            if rooms.count >= Self.maxRoomsPerConnection { return .tooManyRooms }
            rooms.insert(room)
            return nil
        }
        if let admitted { return admitted }
        let (channel, created, unconfirmed) = state.withLock { state -> (RoomChannel, Bool, Bool) in
            if let existing = state.channels[room] {
                return (existing, false, existing.add(connection) ?? false)
            }
            let channel = RoomChannel(room: room, context: context)
            let unconfirmed = channel.add(connection) ?? true
            state.channels[room] = channel
            return (channel, true, unconfirmed)
        }
        if created { channel.start() }
        return .joined(channel, confirmSubscription: unconfirmed)
    }

    /// Removes the connection from the room on this edge; returns how many connections of its user are left there, or
    /// nil when it was not a member.
    @discardableResult
    func detach(_ connection: Connection, room: String) -> Int? {
        let wasMember = connection.updateAttachment(Self.attachmentKey, default: Set<String>()) { $0.remove(room) != nil }
        guard wasMember else { return nil }
        let (remaining, closing) = state.withLock { state -> (Int, RoomChannel?) in
            guard let channel = state.channels[room] else { return (0, nil) }
            guard channel.remove(connection) == 0 else { return (channel.connections(of: connection.user), nil) }
            state.channels.removeValue(forKey: room)
            return (0, channel)
        }
        closing?.close()
        return remaining
    }

    func rooms(of connection: Connection) -> Set<String> {
        connection.attachment(Self.attachmentKey, as: Set<String>.self) ?? []
    }

    func connections(of user: String, in room: String) -> Int {
        state.withLock { $0.channels[room] }?.connections(of: user) ?? 0
    }

    /// The connections that are members of `room` on this edge.
    func members(of room: String) -> [Connection] {
        state.withLock { $0.channels[room] }?.memberConnections ?? []
    }

    /// Room → user → connections on this edge.
    var presence: [String: [String: Int]] {
        let channels = state.withLock { Array($0.channels.values) }
        var result: [String: [String: Int]] = [:]
        for channel in channels {
            let counts = channel.userCounts
            if !counts.isEmpty { result[channel.room] = counts }
        }
        return result
    }

    /// Starts the periodic renewal once: the edge's room presence every third of its TTL
    /// (`SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS`), and the TTL of its sessions every third of theirs
    /// (`SWITCHBOARD_SESSION_TTL_SECONDS`).
    func startMaintenance(context: EdgeContext) {
        state.withLock { state in
            guard state.maintenance == nil else { return }
            let config = SwitchboardConfig()
            let presenceTTL = max(1, config.int("SWITCHBOARD_ROOM_PRESENCE_TTL_SECONDS", default: 30))
            let sessionTTL = max(1, config.int("SWITCHBOARD_SESSION_TTL_SECONDS", default: 86_400))
            state.maintenance = Task { await self.maintain(context: context, presenceTTL: presenceTTL, sessionTTL: sessionTTL) }
        }
    }

    private func maintain(context: EdgeContext, presenceTTL: Int, sessionTTL: Int) async {
        let presenceEvery = Duration.milliseconds(max(300, presenceTTL * 1000 / 3))
        let sessionEvery = Duration.milliseconds(max(300, sessionTTL * 1000 / 3))
        var lastSessions = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: presenceEvery)
            let sessionsDue = ContinuousClock.now - lastSessions >= sessionEvery
            let rooms = presence
            guard !rooms.isEmpty || sessionsDue else { continue }
            if sessionsDue { lastSessions = .now }
            do {
                _ = try await context.backends.client(.scheduler).call(
                    RoomPresenceSync.self,
                    .init(
                        edge: context.edgeID, rooms: rooms, ttlSeconds: presenceTTL,
                        sessions: sessionsDue ? context.registry.all.map(\.id) : nil),
                    timeout: .seconds(5)
                )
            } catch {
                context.logger.debug("room presence sync failed: \(error)")
            }
        }
    }
}
