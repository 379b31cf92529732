/// The one error shape that crosses the bus and reaches clients: a stable machine-readable `code` and a human `message`.
///
/// Services throw it from handlers; the bus throws it for transport failures (`service_unavailable`, `service_timeout`),
/// so callers handle every failure of a remote call the same way.
public struct RPCError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static let serviceUnavailableCode = "service_unavailable"
    public static let serviceTimeoutCode = "service_timeout"
    public static let unknownMethodCode = "unknown_method"
    public static let badRequestCode = "bad_request"
    public static let internalCode = "internal"

    public static func serviceUnavailable(_ service: String, _ detail: String = "not reachable") -> RPCError {
        RPCError(code: serviceUnavailableCode, message: "\(service) service unavailable: \(detail)")
    }

    public static func serviceTimeout(_ service: String) -> RPCError {
        RPCError(code: serviceTimeoutCode, message: "\(service) service did not answer before the deadline")
    }

    public static func badRequest(_ message: String) -> RPCError {
        RPCError(code: badRequestCode, message: message)
    }
}
