import SwitchboardProtocol

extension ServerFrame {
    /// The `error` frame of a failure; the connection stays open.
    public static func error(_ failure: ProtocolFailure) -> [UInt8] {
        error(code: failure.code.rawValue, message: failure.message, requestID: failure.requestID, details: failure.details)
    }
}
