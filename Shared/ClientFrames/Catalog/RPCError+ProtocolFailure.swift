import SwitchboardProtocol

extension RPCError {
    /// The `error` frame's failure for a failed call to a service or a store: the edge and the scheduler's handlers
    /// name a failure behind them the same way.
    public func protocolFailure(requestID: String?) -> ProtocolFailure {
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
