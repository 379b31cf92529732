import Foundation
import NIOCore
import SwitchboardProtocol
import Synchronization

/// One client WebSocket on this edge: who it is, where it came from, its outbound queue and the topics it listens to.
final class Connection: Sendable {
    enum Endpoint: Sendable, Equatable {
        /// `/ws`: telemetry, control, rooms, questions.
        case main
        /// `/ws/permissions/{user}`: permission and menu notifications for one user.
        case permissions(user: String)
    }

    struct CloseRequest: Sendable, Equatable {
        let code: UInt16
        let reason: String
    }

    let id: String
    let endpoint: Endpoint
    let principal: Principal?
    let ip: String
    let connectedAt = Date()
    let queue: OutboundQueue
    private let state = Mutex(State())
    private let onClose: @Sendable (Connection) -> Void

    private struct State {
        var topics: Set<String> = []
        var closeRequest: CloseRequest?
        var framesIn = 0
        var framesOut = 0
        /// Per-connection facts handlers keep (e.g. the telemetry subscription) by key.
        var attachments: [String: any Sendable] = [:]
    }

    init(id: String, endpoint: Endpoint, principal: Principal?, ip: String, queue: OutboundQueue, onClose: @escaping @Sendable (Connection) -> Void) {
        self.id = id
        self.endpoint = endpoint
        self.principal = principal
        self.ip = ip
        self.queue = queue
        self.onClose = onClose
    }

    /// The user name, or `anonymous`.
    var user: String { principal?.user ?? "anonymous" }

    /// Queues a frame. A client past its queue bound is closed with 1008 (policy violation) instead of slowing anyone.
    func send(_ frame: ByteBuffer) {
        switch queue.enqueue(frame) {
        case .queued:
            state.withLock { $0.framesOut += 1 }
            EdgeCounters.shared.frameSent()
        case .overflowed:
            EdgeCounters.shared.slowConsumerClosed()
            requestClose(code: 1008, reason: "slow consumer: outbound queue over its bound")
        case .closed:
            break
        }
    }

    /// Asks the session to close with this code; the first request wins.
    func requestClose(code: UInt16, reason: String) {
        let first = state.withLock { state -> Bool in
            guard state.closeRequest == nil else { return false }
            state.closeRequest = CloseRequest(code: code, reason: reason)
            return true
        }
        guard first else { return }
        queue.close(discard: true)
        onClose(self)
    }

    var closeRequest: CloseRequest? { state.withLock { $0.closeRequest } }

    func countInbound() { state.withLock { $0.framesIn += 1 } }

    var counters: (framesIn: Int, framesOut: Int) { state.withLock { ($0.framesIn, $0.framesOut) } }

    // MARK: Topics (maintained by the registry)

    func addTopic(_ topic: String) -> Bool { state.withLock { $0.topics.insert(topic).inserted } }
    func removeTopic(_ topic: String) -> Bool { state.withLock { $0.topics.remove(topic) != nil } }
    func removeAllTopics() -> Set<String> {
        state.withLock { state in
            defer { state.topics.removeAll() }
            return state.topics
        }
    }
    var topics: Set<String> { state.withLock { $0.topics } }

    // MARK: Attachments

    func attachment<Value: Sendable>(_ key: String, as type: Value.Type = Value.self) -> Value? {
        state.withLock { $0.attachments[key] as? Value }
    }

    func setAttachment(_ key: String, _ value: (any Sendable)?) {
        state.withLock { $0.attachments[key] = value }
    }

    /// Reads and changes one attachment atomically.
    func updateAttachment<Value: Sendable, Result>(_ key: String, default initial: Value, _ body: (inout Value) -> Result) -> Result {
        state.withLock { state in
            var value = state.attachments[key] as? Value ?? initial
            defer { state.attachments[key] = value }
            return body(&value)
        }
    }
}
