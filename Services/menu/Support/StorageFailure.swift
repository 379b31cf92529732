import Redis
import ServiceKit
import SwitchboardProtocol

/// How a Redis failure reaches callers: `storage_unavailable` with a 503 (HTTP) or as the RPC error code, never an
/// `internal` error carrying a hiredis message.
///
/// To a client a menu service that cannot reach Redis is as unavailable as one that is down, so it gets the same status.
enum StorageFailure {
    static let code = "storage_unavailable"

    /// Runs an HTTP handler body, turning Redis failures into a 503.
    static func http(_ body: () async throws -> ForwardedResponse) async throws -> ForwardedResponse {
        do {
            return try await body()
        } catch let error as RedisError {
            throw HTTPError(503, code, "the menu service cannot reach its storage: \(error)")
        }
    }

    /// Runs an RPC handler body, turning Redis failures into `RPCError(storage_unavailable)`.
    static func rpc<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RedisError {
            throw RPCError(code: code, message: "the menu service cannot reach its storage: \(error)")
        }
    }
}
