import Metrics
import Synchronization

/// Counts connections and frames by type (priority 10), for `/websocket/status` and metrics.
final class MetricsHook: Hook {
    let name = "metrics"
    let priority = HookPriority.metrics

    private struct Counts {
        var connectionsOpened = 0
        var connectionsClosed = 0
        var framesByType: [String: Int] = [:]
    }

    private let counts = Mutex(Counts())

    func afterConnect(_ connection: Connection) async throws {
        counts.withLock { $0.connectionsOpened += 1 }
    }

    /// The message types the router knows; anything else is counted as `unknown`, so clients cannot grow the label set.
    let knownTypes: Set<String>

    init(knownTypes: Set<String>) {
        self.knownTypes = knownTypes
    }

    func afterMessage(_ message: ClientMessage, on connection: Connection) async throws {
        let type = knownTypes.contains(message.type) ? message.type : "unknown"
        counts.withLock { $0.framesByType[type, default: 0] += 1 }
        Counter(label: "switchboard_ws_frames_in_total", dimensions: [("type", type)]).increment()
    }

    func onDisconnect(_ connection: Connection) async throws {
        counts.withLock { $0.connectionsClosed += 1 }
    }

    var snapshot: (opened: Int, closed: Int, framesByType: [String: Int]) {
        counts.withLock { ($0.connectionsOpened, $0.connectionsClosed, $0.framesByType) }
    }
}
