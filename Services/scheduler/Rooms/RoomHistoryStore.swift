import Foundation
import Redis
import SwitchboardProtocol

/// A room's messages in the capped stream `room:{id}:history` (fields `user`, `content`, `time` ms, `client`).
///
/// A post reads the id of the newest entry and appends in one script, so every message knows the one before it; live
/// receivers use that to notice a message they missed.
struct RoomHistoryStore: Sendable {
    let redis: RedisClient
    /// `MAXLEN ~` of every stream (`SWITCHBOARD_ROOM_HISTORY_MAX`).
    let maxLength: Int

    static func key(_ room: String) -> String { "room:\(room):history" }

    private static let append = RedisScript(
        """
        local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local previous = '0-0'
        if #newest > 0 then previous = newest[1][1] end
        local fields = {'user', ARGV[2], 'content', ARGV[3], 'time', ARGV[4]}
        if ARGV[5] ~= '' then
          fields[#fields + 1] = 'client'
          fields[#fields + 1] = ARGV[5]
        end
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
        return {id, previous}
        """)

    /// Appends one message and returns it with its stream id and the id before it.
    func append(room: String, user: String, content: String, clientID: String?) async throws -> ChatEntry {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let reply = try await Self.append.runDurable(
            redis, keys: [Self.key(room)], arguments: [String(maxLength), user, content, String(now), clientID ?? ""])
        guard let parts = reply.array, parts.count == 2, let id = parts[0].text, let previous = parts[1].text else {
            throw RPCError(code: RPCError.internalCode, message: "unexpected XADD reply \(reply)")
        }
        return ChatEntry(id: id, room: room, user: user, content: content, serverTime: now, clientID: clientID, previousID: previous)
    }

    /// `XRANGE` after an id (exclusive) up to `before` (exclusive) or the end, oldest first.
    func rangeCommand(room: String, after: StreamID, before: StreamID?, count: Int) -> [String] {
        ["XRANGE", Self.key(room), "(\(after)", before.map { "(\($0)" } ?? "+", "COUNT", String(count)]
    }

    /// `XREVRANGE` from before an id (exclusive) or the newest, newest first.
    func latestCommand(room: String, before: StreamID?, count: Int) -> [String] {
        ["XREVRANGE", Self.key(room), before.map { "(\($0)" } ?? "+", "-", "COUNT", String(count)]
    }

    /// A page of `limit` messages, oldest first: after `after` when given (reading forwards), else the newest before
    /// `before`. `hasMore` says whether the page was cut.
    func page(room: String, before: StreamID?, after: StreamID?, limit: Int) async throws -> (messages: [ChatEntry], hasMore: Bool) {
        if let after {
            let entries = Self.entries(room: room, try await redis.send(rangeCommand(room: room, after: after, before: before, count: limit + 1)))
            return (Array(entries.prefix(limit)), entries.count > limit)
        }
        let entries = Self.entries(room: room, try await redis.send(latestCommand(room: room, before: before, count: limit + 1)))
        return (Array(entries.prefix(limit).reversed()), entries.count > limit)
    }

    /// Deletes the room's history; returns how many messages it held.
    func clear(room: String) async throws -> Int {
        let replies = try await redis.pipeline([["MULTI"], ["XLEN", Self.key(room)], ["DEL", Self.key(room)], ["EXEC"]])
        return replies.last?.array?.first?.int ?? 0
    }

    static func entries(room: String, _ reply: RedisValue) -> [ChatEntry] {
        StreamEntry.list(reply).map { entry in
            ChatEntry(
                id: entry.id,
                room: room,
                user: entry.fields["user"] ?? "",
                content: entry.fields["content"] ?? "",
                serverTime: Int64(entry.fields["time"] ?? "") ?? Int64(clamping: StreamID(entry.id)?.milliseconds ?? 0),
                clientID: entry.fields["client"]
            )
        }
    }
}
