import Bus
import Foundation
import Redis
import SwitchboardProtocol

/// The scheduler's side of rooms: joins and leaves (presence, `member_joined` / `member_left`), chat posts (stored, then
/// published with their order in the event head), history pages and clearing, replays and markers for the edges'
/// ordered delivery, and the edges' periodic presence sync.
///
/// Chat goes through an RPC, not the ingest pipe: the message is in the stream before anybody can see it, the sender
/// learns at once when storing failed (an `error` frame instead of silence), and the reply carries the stream id.
struct RoomService: Sendable {
    let history: RoomHistoryStore
    let presence: RoomPresenceStore
    let sessions: SessionStore
    let publisher: EventPublisher
    let posts = KeyedSerialQueue()

    static let maxHistoryLimit = 1000

    func register(on rpc: RPCServer) {
        rpc.register(RoomReplay.self) { params, _ in try await replay(params) }
        rpc.register(RoomMark.self) { params, _ in
            try Self.validate(room: params.room)
            guard !params.token.isEmpty, params.token.utf8.count <= 200 else { throw RPCError.badRequest("token must be 1 to 200 bytes") }
            publisher.publish(topic: RoomName.topic(params.room), payload: [], head: EventHead(marker: params.token).bytes)
            return NoParams()
        }
        rpc.register(RoomPresenceSync.self) { params, _ in
            guard params.rooms.keys.allSatisfy(RoomName.isValid), !params.edge.isEmpty else {
                throw RPCError.badRequest("invalid room or edge in presence sync")
            }
            try await presence.sync(edge: params.edge, rooms: params.rooms, ttlSeconds: max(1, params.ttlSeconds))
            if let live = params.sessions { try await sessions.renew(live) }
            return NoParams()
        }
    }

    /// What a join found: the members after it, the history the client gets in `room_joined`, and where live
    /// delivery starts.
    struct Joined: Sendable {
        let members: [String]
        let history: [ChatEntry]
        /// False when more was missed than one `room_joined` carries: the edge's catch-up sends the rest at once.
        let complete: Bool
        let lastID: String
    }

    /// Records one more connection of `user` in the room on `edge` (publishing `member_joined` when it is the user's
    /// first there), and reads the history: exactly what came after `since`, else the newest `limit`.
    func join(
        room: String, edge: String, session: String, user: String, since: StreamID?, limit: Int, sessionRooms: [String]
    ) async throws -> Joined {
        try Self.validate(room: room)
        let limit = min(max(limit, 1), Self.maxHistoryLimit)
        var commands = presence.adjustCommands(room: room, edge: edge, user: user, delta: 1)
        commands.append(
            since.map { history.rangeCommand(room: room, after: $0, before: nil, count: limit + 1) }
                ?? history.latestCommand(room: room, before: nil, count: limit))
        commands += sessions.roomsCommands(session: session, rooms: sessionRooms)
        let replies = try await redis.pipeline(commands)
        try Self.check(replies)
        let members = RoomPresenceStore.memberList(replies[1])
        var entries = RoomHistoryStore.entries(room: room, replies[2])
        var complete = true
        if since != nil {
            complete = entries.count <= limit
            entries = Array(entries.prefix(limit))
        } else {
            entries.reverse()
        }
        if replies[0].int == 1 {
            publisher.publish(
                topic: RoomName.topic(room),
                payload: RoomFrames.memberEvent("member_joined", room: room, user: user, session: session, members: members),
                head: RoomFrames.memberHead(session: session))
        }
        let lastID = entries.last?.id ?? since?.description ?? StreamID.zero.description
        return Joined(members: members, history: entries, complete: complete, lastID: lastID)
    }

    /// Records one connection less of `user` in the room on `edge`; publishes `member_left` when the user is gone from
    /// the room. `sessionRooms` (the session's rooms after the leave) is nil when the session is closing anyway.
    func leave(room: String, edge: String, session: String, user: String, sessionRooms: [String]?) async throws -> [String] {
        try Self.validate(room: room)
        var commands = presence.adjustCommands(room: room, edge: edge, user: user, delta: -1)
        if let rooms = sessionRooms { commands += sessions.roomsCommands(session: session, rooms: rooms) }
        let replies = try await redis.pipeline(commands)
        try Self.check(replies)
        let members = RoomPresenceStore.memberList(replies[1])
        if !members.contains(user) {
            publisher.publish(
                topic: RoomName.topic(room),
                payload: RoomFrames.memberEvent("member_left", room: room, user: user, session: session, members: members),
                head: RoomFrames.memberHead(session: session))
        }
        return members
    }

    /// The chat frames after `after`, as they were published, for an edge that missed some.
    func replay(_ params: RoomReplay.Params) async throws -> RoomReplay.Result {
        try Self.validate(room: params.room)
        guard (1...Self.maxHistoryLimit).contains(params.limit) else { throw RPCError.badRequest("limit must be 1 to \(Self.maxHistoryLimit)") }
        let after = try Self.streamID(params.after)
        let before = try params.before.map(Self.streamID)
        let page = try await history.page(room: params.room, before: before, after: after, limit: params.limit)
        return RoomReplay.Result(
            frames: page.messages.map { .init(id: $0.id, frame: String(decoding: RoomFrames.chatMessage($0), as: UTF8.self)) },
            hasMore: page.hasMore)
    }

    /// Stores the message, then publishes it: a message anybody saw is a message that is in history. Posts to one room
    /// are chained so they are published in stream order.
    func post(room: String, user: String, content: String, clientID: String?) async throws -> ChatEntry {
        let history = history
        let publisher = publisher
        return try await posts.run(room) {
            let entry = try await history.append(room: room, user: user, content: content, clientID: clientID)
            publisher.publish(topic: RoomName.topic(room), payload: RoomFrames.chatMessage(entry), head: RoomFrames.chatHead(entry))
            return entry
        }
    }

    private var redis: RedisClient { history.redis }

    static func validate(room: String) throws {
        guard RoomName.isValid(room) else { throw RPCError.badRequest("room must match ^[A-Za-z0-9_.-]{1,64}$") }
    }

    static func streamID(_ text: String) throws -> StreamID {
        guard let id = StreamID(text) else { throw RPCError.badRequest("\(text) is not a message id") }
        return id
    }

    /// Fails on the first error reply of a pipeline.
    static func check(_ replies: [RedisValue]) throws {
        for reply in replies {
            if case .error(let message) = reply { throw RPCError(code: RPCError.internalCode, message: "redis: \(message)") }
        }
    }
}
