/// Why a Redis call failed.
///
/// The cases separate what a caller can act on: `unavailable` and `timeout` are transient (retry
/// later, answer 503/504), `server` is a reply the command itself earned (wrong type, script error),
/// and `protocolError` means the client and server disagree and is a bug to report.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Redis cannot be reached (refused, reset, closed, still reconnecting, or the client was shut down).
    /// The message names host:port and the cause.
    case unavailable(String)
    /// A read or write did not finish within `RedisConfiguration.commandTimeout`; the connection was dropped.
    case timeout(String)
    /// Redis answered with an error reply (for example `WRONGTYPE ...` or `ERR unknown command`).
    case server(String)
    /// The reply could not be parsed, or was not of the shape expected.
    case protocolError(String)

    public var description: String {
        switch self {
        case .unavailable(let message): return "redis unavailable: \(message)"
        case .timeout(let message): return "redis timeout: \(message)"
        case .server(let message): return "redis error reply: \(message)"
        case .protocolError(let message): return "redis protocol error: \(message)"
        }
    }
}
