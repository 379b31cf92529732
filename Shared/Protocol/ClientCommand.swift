/// One client frame handed to the service that owns its type (DESIGN §1: the edge knows sockets, routing and fan-out).
///
/// The edge does not decode `data`: it forwards the frame as it arrived, with who sent it, and applies the reply. Every
/// decision (validation, defaults, roles, ACLs) is the service's, taken from `principal`, which the edge authenticated;
/// nothing in the frame can name its sender's role.
public struct ClientCommandRequest: Codable, Sendable {
    /// The edge's id (`SWITCHBOARD_EDGE_ID`).
    public var edge: String
    /// The connection's id on that edge (also its session id).
    public var connection: String
    public var principal: Principal?
    public var ip: String
    /// `main` (`/ws`) or `permissions` (`/ws/permissions/{user}`).
    public var endpoint: String
    public var type: String
    /// The frame's `id` (string or number on the wire), as text.
    public var id: String?
    /// The client's frame as it arrived (JSON text, its `data` raw): the service decodes `data` with its payload type,
    /// so the edge never re-encodes client JSON.
    public var frame: String
    /// What this service keeps about the connection, as its last reply set it (opaque to the edge); nil when nothing.
    public var state: String?

    public init(
        edge: String, connection: String, principal: Principal?, ip: String, endpoint: String, type: String, id: String?, frame: String,
        state: String?
    ) {
        self.edge = edge
        self.connection = connection
        self.principal = principal
        self.ip = ip
        self.endpoint = endpoint
        self.type = type
        self.id = id
        self.frame = frame
        self.state = state
    }

    /// The user name, or `anonymous`.
    public var user: String { principal?.user ?? "anonymous" }
}

/// What the edge does with a command's outcome, in this order: leave, join, send `frames`, store `state`, close.
public struct ClientCommandReply: Codable, Sendable, Equatable {
    /// Complete frames (`{type,id,timestamp,data}` JSON text) for the connection, sent in order.
    public var frames: [String]
    /// Topics the connection now follows (plain fan-out).
    public var join: [String]
    public var leave: [String]
    /// Topics whose events carry an order (`EventHead.id` / `prev`): the connection gets those newer than `after`, in
    /// order, without gap or duplicate. Sent after `frames` (e.g. a history), so nothing overtakes it.
    public var ordered: [OrderedJoin]
    /// The connection's new state for this service; nil keeps it, an empty string forgets it.
    public var state: String?
    public var close: Close?

    public struct OrderedJoin: Codable, Sendable, Equatable {
        public var topic: String
        /// The id of the last event the connection already has (`0-0`: none).
        public var after: String

        public init(topic: String, after: String) {
            self.topic = topic
            self.after = after
        }
    }

    public struct Close: Codable, Sendable, Equatable {
        public var code: UInt16
        public var reason: String

        public init(code: UInt16, reason: String) {
            self.code = code
            self.reason = reason
        }
    }

    public init(
        frames: [String] = [], join: [String] = [], leave: [String] = [], ordered: [OrderedJoin] = [], state: String? = nil, close: Close? = nil
    ) {
        self.frames = frames
        self.join = join
        self.leave = leave
        self.ordered = ordered
        self.state = state
        self.close = close
    }
}

/// `scheduler.command`: telemetry, alarms, control, rooms and questions.
public enum SchedulerCommand: RPCMethod {
    public typealias Params = ClientCommandRequest
    public typealias Result = ClientCommandReply
    public static let name = "scheduler.command"
}

/// `menu.command`: `permission_check`.
public enum MenuCommand: RPCMethod {
    public typealias Params = ClientCommandRequest
    public typealias Result = ClientCommandReply
    public static let name = "menu.command"
}

/// `scheduler.connection`: a connection opened (`type` `connected`), closed (`disconnected`), or something about it
/// changed outside its frames (`room_acl`, with auth's notice as `frame`). The reply is applied like a command's
/// (a closed connection's is dropped). The session record and room presence live here.
public enum SchedulerConnectionEvent: RPCMethod {
    public typealias Params = ClientCommandRequest
    public typealias Result = ClientCommandReply
    public static let name = "scheduler.connection"

    public static let connected = "connected"
    public static let disconnected = "disconnected"
    public static let roomACL = "room_acl"
}
