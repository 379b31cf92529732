import Logging

/// Logs every connection's start and end (a custom hook, priority 50) — the example of a hook added in code.
struct ConnectionLogHook: Hook {
    let name = "connection-log"
    let priority = HookPriority.custom
    let logger: Logger

    func afterConnect(_ connection: Connection) async throws {
        logger.debug("connection \(connection.id) opened by \(connection.user) from \(connection.ip)")
    }

    func onDisconnect(_ connection: Connection) async throws {
        let counters = connection.counters
        logger.debug("connection \(connection.id) closed (\(counters.framesIn) in, \(counters.framesOut) out)")
    }
}
