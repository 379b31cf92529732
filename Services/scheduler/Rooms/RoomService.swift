import Bus
import Foundation
import Redis
import SwitchboardProtocol

/// The scheduler's side of rooms: joins and leaves (presence, `member_joined` / `member_left`), chat posts (stored, then
/// published), history pages and clearing, and the edges' periodic presence sync.
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
        rpc.register(RoomJoin.self) { params, _ in try await join(params) }
        rpc.register(RoomLeave.self) { params, _ in try await leave(params) }
        rpc.register(ChatPost.self) { params, _ in try await post(params) }
        rpc.register(RoomHistory.self) { params, _ in try await page(params) }
        rpc.register(RoomClear.self) { params, _ in
            try Self.validate(room: params.room)
            return RoomClear.Result(deleted: try await history.clear(room: params.room))
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

    func join(_ params: RoomJoin.Params) async throws -> RoomJoin.Result {
        try Self.validate(room: params.room)
        let limit = min(max(params.historyLimit, 1), Self.maxHistoryLimit)
        let since: StreamID?
        if let text = params.since {
            guard let parsed = StreamID(text) else { throw RPCError.badRequest("since must be a message id such as 1712345678901-0") }
            since = parsed
        } else {
            since = nil
        }
        var commands = presence.updateCommands(room: params.room, edge: params.edge, user: params.user, connections: params.userConnections)
        commands.append(
            since.map { history.rangeCommand(room: params.room, after: $0, before: nil, count: limit + 1) }
                ?? history.latestCommand(room: params.room, before: nil, count: limit))
        commands += sessions.roomsCommands(session: params.session, rooms: params.sessionRooms)
        let replies = try await redis.pipeline(commands)
        try Self.check(replies)
        let members = RoomPresenceStore.memberList(replies[1])
        var entries = RoomHistoryStore.entries(room: params.room, replies[2])
        var complete = true
        if since != nil {
            complete = entries.count <= limit
            entries = Array(entries.prefix(limit))
        } else {
            entries.reverse()
        }
        publisher.publish(topic: RoomName.topic(params.room), payload: RoomFrames.marker(room: params.room, session: params.session))
        if params.userConnections == 1 {
            publisher.publish(
                topic: RoomName.topic(params.room),
                payload: RoomFrames.memberEvent("member_joined", room: params.room, user: params.user, session: params.session, members: members)
            )
        }
        let lastID = entries.last?.id ?? since?.description ?? StreamID.zero.description
        return RoomJoin.Result(members: members, history: entries, complete: complete, lastID: lastID)
    }

    func leave(_ params: RoomLeave.Params) async throws -> RoomLeave.Result {
        try Self.validate(room: params.room)
        var commands = presence.updateCommands(room: params.room, edge: params.edge, user: params.user, connections: params.userConnections)
        if let rooms = params.sessionRooms { commands += sessions.roomsCommands(session: params.session, rooms: rooms) }
        let replies = try await redis.pipeline(commands)
        try Self.check(replies)
        let members = RoomPresenceStore.memberList(replies[1])
        if !members.contains(params.user) {
            publisher.publish(
                topic: RoomName.topic(params.room),
                payload: RoomFrames.memberEvent("member_left", room: params.room, user: params.user, session: params.session, members: members)
            )
        }
        return RoomLeave.Result(members: members)
    }

    /// Stores the message, then publishes it: a message anybody saw is a message that is in history. Posts to one room
    /// are chained so they are published in stream order.
    func post(_ params: ChatPost.Params) async throws -> ChatEntry {
        try Self.validate(room: params.room)
        if let problem = InputLimits.chatContentProblem(params.content) { throw RPCError.badRequest(problem) }
        if let clientID = params.clientID, let problem = InputLimits.problem("id", clientID, maxBytes: InputLimits.clientIDBytes) {
            throw RPCError.badRequest(problem)
        }
        guard !params.user.isEmpty else { throw RPCError.badRequest("user is required") }
        let history = history
        let publisher = publisher
        return try await posts.run(params.room) {
            let entry = try await history.append(room: params.room, user: params.user, content: params.content, clientID: params.clientID)
            publisher.publish(topic: RoomName.topic(params.room), payload: RoomFrames.chatMessage(entry))
            return entry
        }
    }

    func page(_ params: RoomHistory.Params) async throws -> RoomHistory.Result {
        try Self.validate(room: params.room)
        guard (1...Self.maxHistoryLimit).contains(params.limit) else { throw RPCError.badRequest("limit must be 1 to \(Self.maxHistoryLimit)") }
        let before = try params.before.map(Self.streamID)
        let after = try params.after.map(Self.streamID)
        let page = try await history.page(room: params.room, before: before, after: after, limit: params.limit)
        return RoomHistory.Result(messages: page.messages, hasMore: page.hasMore)
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
