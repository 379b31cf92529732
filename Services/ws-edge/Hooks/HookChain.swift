import Logging
import Synchronization

/// The registered hooks in priority order, each enabled or not at run time (`GET/POST /admin/hooks`).
final class HookChain: Sendable {
    struct Entry: Sendable, Codable, Equatable {
        let name: String
        let priority: Int
        let enabled: Bool
    }

    private let hooks: [any Hook]
    private let disabled = Mutex<Set<String>>([])
    private let logger: Logger

    init(_ hooks: [any Hook], logger: Logger) {
        self.hooks = hooks.sorted { $0.priority > $1.priority }
        self.logger = logger
    }

    var entries: [Entry] {
        let off = disabled.withLock { $0 }
        return hooks.map { Entry(name: $0.name, priority: $0.priority, enabled: !off.contains($0.name)) }
    }

    /// Enables or disables a hook by name; false when there is no such hook.
    func setEnabled(_ name: String, _ enabled: Bool) -> Bool {
        guard hooks.contains(where: { $0.name == name }) else { return false }
        disabled.withLock { set in
            if enabled { set.remove(name) } else { set.insert(name) }
        }
        return true
    }

    private var active: [any Hook] {
        let off = disabled.withLock { $0 }
        return off.isEmpty ? hooks : hooks.filter { !off.contains($0.name) }
    }

    func beforeConnect(_ attempt: ConnectionAttempt) -> HookDecision {
        for hook in active {
            do {
                let decision = try hook.beforeConnect(attempt)
                if decision != .proceed { return decision }
            } catch {
                logger.warning("hook \(hook.name) failed in beforeConnect and was skipped: \(error)")
            }
        }
        return .proceed
    }

    /// On the connection's event loop, for every frame: the first refusal wins.
    func beforeMessage(_ message: ClientMessage, on connection: Connection) -> HookDecision {
        for hook in active {
            let decision = hook.beforeMessage(message, on: connection)
            if decision != .proceed { return decision }
        }
        return .proceed
    }

    func afterConnect(_ connection: Connection) async {
        for hook in active { await run(hook, "afterConnect") { try await hook.afterConnect(connection) } }
    }

    /// Runs for every connection that completed `afterConnect`, whatever is enabled now, so paired bookkeeping
    /// (counts, sessions) is always undone.
    func onDisconnect(_ connection: Connection) async {
        for hook in hooks { await run(hook, "onDisconnect") { try await hook.onDisconnect(connection) } }
    }

    private func run(_ hook: any Hook, _ stage: String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            logger.warning("hook \(hook.name) failed in \(stage) and was skipped: \(error)")
        }
    }
}
