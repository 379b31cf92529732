import SwitchboardProtocol

/// A connection's telemetry subscription: the union of what it subscribed to, and the group topic it is in.
struct TelemetryState: Sendable {
    static let key = "telemetry"

    var source: String
    var intervalMs: Int
    var channels: [Int]
    var types: [String]
    var topic: String?
}

/// A connection's alarm subscription: all alarms, or some channels.
struct AlarmState: Sendable {
    static let key = "alarms"
    var topics: Set<String>
}

extension RPCError {
    /// The `error` frame for a failed call to a service.
    func protocolFailure(requestID: String?) -> ProtocolFailure {
        let code: ErrorCode =
            switch self.code {
            case RPCError.serviceUnavailableCode: .serviceUnavailable
            case RPCError.serviceTimeoutCode: .serviceTimeout
            case RPCError.badRequestCode: .invalidMessage
            default: .internalError
            }
        return ProtocolFailure(code: code, message: message, requestID: requestID)
    }
}
