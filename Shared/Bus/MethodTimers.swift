import Metrics
import Synchronization

/// One duration timer per RPC method (and target), made on first use and kept: creating a `Timer` per call goes
/// through the metrics factory's lock and label checks, 1–2% of a service's CPU under load. Methods come from code
/// (registered handlers, typed calls), so the set stays small.
final class MethodTimers: Sendable {
    private let label: String
    private let target: String?
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    init(label: String, target: String? = nil) {
        self.label = label
        self.target = target
    }

    func timer(_ method: String) -> Metrics.Timer {
        timers.withLock { timers in
            if let known = timers[method] { return known }
            let dimensions = (target.map { [("target", $0)] } ?? []) + [("method", method)]
            let timer = Metrics.Timer(label: label, dimensions: dimensions)
            timers[method] = timer
            return timer
        }
    }
}
