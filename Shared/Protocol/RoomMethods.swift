/// Rooms on the bus: the scheduler decides who is in which room (`join_room` and the other room commands), owns what is
/// stored in Redis (history streams, presence per edge) and publishes `room/<room>` frames; the edge delivers them in
/// order. These are the methods between them besides `scheduler.command`.

/// A room id as clients send it: `^[A-Za-z0-9_.-]{1,64}$`, so it is safe in Redis keys and bus topics as it is.
public enum RoomName {
    public static let maxLength = 64

    public static func isValid(_ room: String) -> Bool {
        let bytes = room.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
    }

    /// The bus topic of a room's frames (DESIGN.md §2).
    public static func topic(_ room: String) -> String { "room/\(room)" }
}

/// A Redis stream entry id (`<ms>-<seq>`), ordered as Redis orders them.
///
/// Chat messages are identified by their id in the room's stream, so "after this id" is exactly "what I have not seen".
public struct StreamID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let milliseconds: UInt64
    public let sequence: UInt64

    public static let zero = StreamID(milliseconds: 0, sequence: 0)

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `<ms>-<seq>` or `<ms>`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 20 && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
            let milliseconds = UInt64(parts[0]), let sequence = parts.count == 2 ? UInt64(parts[1]) : 0
        else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

/// One chat message as stored and as clients see it in `chat_message` frames, `room_joined` and `history`.
public struct ChatEntry: Codable, Sendable, Equatable {
    /// The stream id: the message's identity and its place in the room's order.
    public var id: String
    public var room: String
    public var user: String
    public var content: String
    /// Server time of the write, Unix milliseconds.
    public var serverTime: Int64
    /// The id the sender gave its `chat_message` frame, so it can match its own message.
    public var clientID: String?
    /// The id of the message before this one in the stream (`0-0` for the first), only on live frames: a receiver whose
    /// last message is older than this one knows it missed some.
    public var previousID: String?

    public init(id: String, room: String, user: String, content: String, serverTime: Int64, clientID: String? = nil, previousID: String? = nil) {
        self.id = id
        self.room = room
        self.user = user
        self.content = content
        self.serverTime = serverTime
        self.clientID = clientID
        self.previousID = previousID
    }

    enum CodingKeys: String, CodingKey {
        case room, user, content
        case id = "message_id"
        case previousID = "prev_id"
        case serverTime = "server_time"
        case clientID = "client_id"
    }
}

/// `scheduler.room.presence`: an edge's authoritative room presence (room → user → connections), re-sent periodically.
/// Each edge's presence expires after `ttlSeconds`, so the members of an edge that dies disappear without anyone
/// cleaning up. `sessions`, when present, are the edge's live session ids whose `session:{sid}` TTL is renewed.
public enum RoomPresenceSync: RPCMethod {
    public struct Params: Codable, Sendable {
        public var edge: String
        public var rooms: [String: [String: Int]]
        public var ttlSeconds: Int
        public var sessions: [String]?

        public init(edge: String, rooms: [String: [String: Int]], ttlSeconds: Int, sessions: [String]?) {
            self.edge = edge
            self.rooms = rooms
            self.ttlSeconds = ttlSeconds
            self.sessions = sessions
        }
    }

    public typealias Result = NoParams

    public static let name = "scheduler.room.presence"
}
