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

    /// Counts the frames the hooks before it let through; never refuses.
    func beforeMessage(_ message: ClientMessage, on connection: Connection) -> HookDecision {
        let type = knownTypes.contains(message.type) ? message.type : "unknown"
        Counter(label: "switchboard_ws_frames_in_total", dimensions: [("type", type)]).increment()
        return .proceed
    }
}
