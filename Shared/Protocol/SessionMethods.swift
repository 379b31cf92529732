/// `scheduler.session.open`: records one connection as `session:{sid}` (user, ip, edge, connected_at, rooms) with the
/// session TTL; the edge renews it while the connection lives (`scheduler.room.presence`) and closes it on disconnect.
public enum SessionOpen: RPCMethod {
    public struct Params: Codable, Sendable {
        public var session: String
        public var user: String
        public var ip: String
        public var edge: String
        /// Unix milliseconds.
        public var connectedAt: Int64

        public init(session: String, user: String, ip: String, edge: String, connectedAt: Int64) {
            self.session = session
            self.user = user
            self.ip = ip
            self.edge = edge
            self.connectedAt = connectedAt
        }
    }

    public typealias Result = NoParams

    public static let name = "scheduler.session.open"
}

/// `scheduler.session.close`: the connection ended; its `session:{sid}` goes.
public enum SessionClose: RPCMethod {
    public struct Params: Codable, Sendable {
        public var session: String
        public init(session: String) { self.session = session }
    }

    public typealias Result = NoParams

    public static let name = "scheduler.session.close"
}
