import NIOCore

/// What carries one `Connection` to its client: a WebSocket (`WebSocketConnectionHandler`) or Socket.IO's transports.
/// Every method is called on the connection's event loop.
protocol ConnectionTransport: AnyObject {
    /// Writes one frame, already prepared for the connection's `WireEncoding` (once for all members of a fan-out).
    func write(_ payload: WirePayload)
    /// The close the edge asked for (`Connection.requestClose`).
    func startClose(code: UInt16, reason: String)
    /// Runs `body` in turn with the connection's calls to services (one at a time, in order).
    func enqueueCall(keepAfterClose: Bool, _ body: @escaping @Sendable () async -> Void)
}
