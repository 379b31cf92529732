import Foundation
import SwitchboardProtocol

/// A step every connection and message passes through, in priority order (higher first): auth 100, rate limit 80,
/// storage 60, custom 50, metrics 10.
///
/// Hooks keep cross-cutting rules out of the message handlers. Each `before…` may refuse with a reason; a hook that throws
/// is logged and skipped, so a broken hook never takes a connection down. `beforeMessage` runs on the connection's event
/// loop for every frame, so it is synchronous: a hook that needs a service keeps a local view of it (a token bucket
/// synced in batches) instead of asking per frame. `beforeConnect` is synchronous too: admission is decided from local
/// state (counts synced in batches), so an upgrade whose token is cached is decided on its event loop with no task.
protocol Hook: Sendable {
    var name: String { get }
    var priority: Int { get }
    func beforeConnect(_ attempt: ConnectionAttempt) throws -> HookDecision
    func afterConnect(_ connection: Connection) async throws
    func beforeMessage(_ message: ClientMessage, on connection: Connection) -> HookDecision
    func onDisconnect(_ connection: Connection) async throws
}

extension Hook {
    func beforeConnect(_ attempt: ConnectionAttempt) throws -> HookDecision { .proceed }
    func afterConnect(_ connection: Connection) async throws {}
    func beforeMessage(_ message: ClientMessage, on connection: Connection) -> HookDecision { .proceed }
    func onDisconnect(_ connection: Connection) async throws {}
}

/// A WebSocket upgrade that has not happened yet.
struct ConnectionAttempt: Sendable {
    let endpoint: Connection.Endpoint
    let principal: Principal?
    let ip: String
}

enum HookDecision: Sendable, Equatable {
    case proceed
    /// Refuse: `status` is the HTTP status before an upgrade; after it, an `error` frame carries `code` and `message`.
    case reject(status: Int, code: String, message: String, retryAfterSeconds: Int? = nil)
}

/// Standard priorities.
enum HookPriority {
    static let auth = 100
    static let rateLimit = 80
    static let storage = 60
    static let custom = 50
    static let metrics = 10
}
