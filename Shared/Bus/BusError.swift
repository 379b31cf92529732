/// Failures to set up a bus socket. Failures of a call are `RPCError`s instead, so callers see one error type per call.
public enum BusError: Error, Sendable, CustomStringConvertible {
    case socket(String)
    case bind(endpoint: String, reason: String)
    case connect(endpoint: String, reason: String)
    /// CURVE keys missing, unreadable or refused by policy.
    case keys(String)

    public var description: String {
        switch self {
        case .socket(let reason): "ZeroMQ socket error: \(reason)"
        case .bind(let endpoint, let reason): "cannot bind \(endpoint): \(reason)"
        case .connect(let endpoint, let reason): "cannot connect to \(endpoint): \(reason)"
        case .keys(let reason): "bus keys: \(reason)"
        }
    }
}
