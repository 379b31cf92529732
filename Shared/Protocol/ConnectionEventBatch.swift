/// `scheduler.connections`: the `connected` and `disconnected` events of many connections in one call.
///
/// An edge that accepts hundreds of upgrades a second would otherwise pay one bus round trip, one task hop on each
/// side and one Redis round trip per event; batched, the scheduler writes every session of a batch in one pipeline.
/// The edge keeps one batch in flight and gathers the next meanwhile, so a lone event waits for nobody.
public enum SchedulerConnectionEvents: RPCMethod {
    public typealias Params = ConnectionEventBatch
    public typealias Result = ConnectionEventOutcomes
    public static let name = "scheduler.connections"
    /// The most events one call carries; the edge splits larger backlogs.
    public static let maxEvents = 256
}

/// The events, each shaped as `scheduler.connection`'s request (`type` `connected` or `disconnected`).
public struct ConnectionEventBatch: Codable, Sendable {
    public var events: [ClientCommandRequest]

    public init(events: [ClientCommandRequest]) {
        self.events = events
    }
}

/// One outcome per event, in the order of the batch.
public struct ConnectionEventOutcomes: Codable, Sendable, Equatable {
    public var outcomes: [Outcome]

    /// The reply to apply to the connection, or why its event failed (a failed event does not fail the others).
    public struct Outcome: Codable, Sendable, Equatable {
        public var reply: ClientCommandReply?
        public var error: RPCError?

        public init(reply: ClientCommandReply) {
            self.reply = reply
            self.error = nil
        }

        public init(error: RPCError) {
            self.reply = nil
            self.error = error
        }
    }

    public init(outcomes: [Outcome]) {
        self.outcomes = outcomes
    }
}
