/// One edge's connection and subscription counts, as `/websocket/status` shows them. Each edge reports its own to the
/// scheduler (`scheduler.edges.report`), which keeps them in Redis (`edges:status`) so that any edge can show all of them
/// without a Redis connection of its own.
public struct EdgeStatus: Codable, Sendable, Equatable {
    public var edgeID: String
    public var pid: Int32
    public var connections: Int
    public var connectionsByEndpoint: [String: Int]
    /// Telemetry subscription groups (`g/…` topics) with their local member counts.
    public var groups: [String: Int]
    public var rooms: Int
    public var topics: Int
    /// Unix seconds; the scheduler stamps it with its own clock when the report arrives.
    public var updatedAt: Double

    public init(
        edgeID: String, pid: Int32, connections: Int, connectionsByEndpoint: [String: Int], groups: [String: Int], rooms: Int, topics: Int,
        updatedAt: Double
    ) {
        self.edgeID = edgeID
        self.pid = pid
        self.connections = connections
        self.connectionsByEndpoint = connectionsByEndpoint
        self.groups = groups
        self.rooms = rooms
        self.topics = topics
        self.updatedAt = updatedAt
    }
}

/// `scheduler.edges.report`: an edge's current status, sent every few seconds while it runs.
public enum EdgeStatusReport: RPCMethod {
    public typealias Params = EdgeStatus
    public typealias Result = NoParams
    public static let name = "scheduler.edges.report"
}

/// `scheduler.edges.leave`: the edge is stopping; its status goes at once instead of ageing out.
public enum EdgeStatusLeave: RPCMethod {
    public struct Params: Codable, Sendable {
        public var edgeID: String
        public init(edgeID: String) { self.edgeID = edgeID }
    }

    public typealias Result = NoParams
    public static let name = "scheduler.edges.leave"
}

/// `scheduler.edges.list`: every edge that reported within `EdgeStatusList.freshSeconds`, for `/websocket/status`.
public enum EdgeStatusList: RPCMethod {
    /// An edge silent for longer than this counts as gone (it reports every 5 s).
    public static let freshSeconds = 15.0

    public typealias Params = NoParams
    public struct Result: Codable, Sendable {
        public var edges: [EdgeStatus]
        public init(edges: [EdgeStatus]) { self.edges = edges }
    }

    public static let name = "scheduler.edges.list"
}
