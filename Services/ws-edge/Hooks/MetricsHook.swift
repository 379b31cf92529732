import Metrics

/// Counts frames by type (priority 10) in `switchboard_ws_frames_in_total`, for `/metrics`.
final class MetricsHook: Hook {
    let name = "metrics"
    let priority = HookPriority.metrics

    /// The message types the router knows; anything else is counted as `unknown`, so clients cannot grow the label set.
    let knownTypes: Set<String>

    init(knownTypes: Set<String>) {
        self.knownTypes = knownTypes
    }

    func afterMessage(_ message: ClientMessage, on connection: Connection) async throws {
        let type = knownTypes.contains(message.type) ? message.type : "unknown"
        Counter(label: "switchboard_ws_frames_in_total", dimensions: [("type", type)]).increment()
    }
}
