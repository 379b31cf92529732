/// `ping` {timestamp?}: the client's clock (Unix milliseconds) when it sent the ping, for the latency in `pong`.
public struct PingRequest: ClientPayload {
    public static let messageType = "ping"
    public static let whenAbsent: PingRequest? = PingRequest(timestamp: nil)
    /// ECMAScript's Date range: a browser's `Date.now()` is always inside it, and so is the subtraction from the edge's
    /// clock, so the latency can never overflow.
    public static let timestampRange: ClosedRange<Double> = 0...8.64e15

    public let timestamp: Double?

    /// Milliseconds from `timestamp` to `nowMs` (0 without a timestamp, or when the client's clock is ahead); a timestamp
    /// outside `timestampRange` is refused naming `data.timestamp` rather than converted, since converting 1e300 to an
    /// integer would trap.
    public func latency(nowMs: Int64) -> Result<Int64, ProtocolFailure> {
        guard let timestamp else { return .success(0) }
        guard Self.timestampRange.contains(timestamp), let sent = Int64(exactly: timestamp.rounded(.down)) else {
            return .failure(
                ProtocolFailure(
                    code: .invalidMessage,
                    message: "`data.timestamp` must be Unix milliseconds from 0 to \(Int64(Self.timestampRange.upperBound))"))
        }
        let (elapsed, overflow) = nowMs.subtractingReportingOverflow(sent)
        return .success(overflow ? 0 : max(0, elapsed))
    }
}

/// `heartbeat`: no fields.
public struct HeartbeatRequest: FieldlessPayload {
    public static let messageType = "heartbeat"
    public init() {}
}

/// `permission_check` {permission}: may this connection's principal do `permission`?
public struct PermissionCheckRequest: ClientPayload {
    public static let messageType = "permission_check"
    public let permission: String
}
