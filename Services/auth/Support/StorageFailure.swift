import Redis
import ServiceKit
import SwitchboardProtocol

/// How a Redis failure reaches callers: a clear "storage unavailable" instead of an `internal` error with a hiredis message.
///
/// Policy callers (the edge) need a stable code to decide what to do while Redis is down; HTTP clients need a 503, the
/// same status as a service that is down, since to them it is one.
enum StorageFailure {
    static let code = "storage_unavailable"

    /// Runs an RPC handler body, turning Redis failures into `RPCError(storage_unavailable)`.
    static func rpc<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RedisError {
            throw RPCError(code: code, message: "auth cannot reach its storage: \(error)")
        }
    }

    /// Runs an HTTP handler body, turning Redis failures into a 503.
    static func http(_ body: () async throws -> ForwardedResponse) async throws -> ForwardedResponse {
        do {
            return try await body()
        } catch let error as RedisError {
            throw HTTPError(503, code, "auth cannot reach its storage: \(error)")
        }
    }
}
