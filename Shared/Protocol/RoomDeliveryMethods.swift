/// What an edge asks the scheduler to deliver `room/<room>` in order (`ClientCommandReply.ordered`): the frames it
/// missed, and a marker that proves its subscription is live. No room decision is taken with these.
extension RoomName {
    /// The room of a `room/<room>` topic, or nil for any other topic.
    public static func room(ofTopic topic: String) -> String? {
        guard topic.hasPrefix("room/") else { return nil }
        let room = String(topic.dropFirst(5))
        return isValid(room) ? room : nil
    }
}

/// `scheduler.room.replay`: the `chat_message` frames after `after` (and before `before`), oldest first, exactly as
/// they were published, with their ids.
public enum RoomReplay: RPCMethod {
    public struct Params: Codable, Sendable {
        public var room: String
        public var after: String
        public var before: String?
        public var limit: Int

        public init(room: String, after: String, before: String?, limit: Int) {
            self.room = room
            self.after = after
            self.before = before
            self.limit = limit
        }
    }

    public struct Result: Codable, Sendable {
        public var frames: [Frame]
        public var hasMore: Bool

        public struct Frame: Codable, Sendable {
            public var id: String
            public var frame: String

            public init(id: String, frame: String) {
                self.id = id
                self.frame = frame
            }
        }

        public init(frames: [Frame], hasMore: Bool) {
            self.frames = frames
            self.hasMore = hasMore
        }
    }

    public static let name = "scheduler.room.replay"
}

/// `scheduler.room.mark`: publishes a marker (`EventHead.marker` = `token`, no payload) on the room's topic.
public enum RoomMark: RPCMethod {
    public struct Params: Codable, Sendable {
        public var room: String
        public var token: String

        public init(room: String, token: String) {
            self.room = room
            self.token = token
        }
    }

    public static let name = "scheduler.room.mark"
    public typealias Result = NoParams
}
