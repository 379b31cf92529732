/// Counts frames by type (priority 10) in `switchboard_ws_frames_in_total`, for `/metrics`: an atomic per known type
/// (`EdgeCounters.framesIn`), so a frame costs no metrics lookup; unknown types count as `unknown`.
final class MetricsHook: Hook {
    let name = "metrics"
    let priority = HookPriority.metrics

    /// Counts the frames the hooks before it let through; never refuses.
    func beforeMessage(_ message: ClientMessage, on connection: Connection) -> HookDecision {
        EdgeCounters.shared.framesIn.increment(message.type)
        return .proceed
    }
}
