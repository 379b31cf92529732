import Foundation
import Logging
import Metrics
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
    /// The connection's calls to services, one at a time (their replies carry its state).
    let calls = SerialCalls()
    private let state = Mutex(State())
    private let onClose: @Sendable (Connection) -> Void

    private struct State {
        var topics: Set<String> = []
        var closeRequest: CloseRequest?
        var framesIn = 0
        var framesOut = 0
        var oversizedDrops = 0
        /// What each service keeps about this connection (`ClientCommandReply.state`), opaque here.
        var serviceStates: [ServiceName: String] = [:]
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

    /// Queues a frame written by a service or `ServerFrame`.
    func send(_ frame: [UInt8]) {
        send(ByteBuffer(bytes: frame))
    }

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
        case .tooLarge:
            refuseOversized(frame)
        }
    }

    /// A frame bigger than the connection's whole byte bound (`SWITCHBOARD_WS_QUEUE_BYTES`) is dropped, logged, and the
    /// client told with an `error` frame (`REJECTED`, sizes in `details`), so it can ask for less (a smaller history
    /// `limit`, fewer channels); the connection stays open. The notice is small, so it cannot be refused in turn.
    private func refuseOversized(_ frame: ByteBuffer) {
        let size = frame.readableBytes
        let type = Self.frameType(frame)
        let drops = state.withLock { state in
            state.oversizedDrops += 1
            return state.oversizedDrops
        }
        // A group's data_batch can be oversized on every tick: warn once per connection, then only count.
        Self.logger.log(
            level: drops == 1 ? .warning : .debug, "outbound frame dropped: larger than the connection's queue bound",
            metadata: ["connection": "\(id)", "type": "\(type)", "bytes": "\(size)", "limit": "\(queue.maxBytes)", "drops": "\(drops)"])
        Counter(label: "switchboard_ws_oversized_frames_dropped_total").increment()
        let notice = EdgeFrame.error(
            ProtocolFailure(
                code: .rejected,
                message: "a \(type) frame of \(size) bytes was not sent: it is larger than this connection's \(queue.maxBytes)-byte bound",
                details: ["frame_type": type, "frame_bytes": String(size), "limit_bytes": String(queue.maxBytes)]))
        if notice.readableBytes <= queue.maxBytes { send(notice) }
    }

    private static let logger = Logger(label: "ws-edge.connection")

    private struct FrameType: Decodable {
        let type: String
    }

    /// The `type` of a refused frame, for the notice only: decoded on this rare path, never on delivery.
    private static func frameType(_ frame: ByteBuffer) -> String {
        (try? JSONDecoder().decode(FrameType.self, from: Data(frame.readableBytesView)))?.type.prefix(64).description ?? "?"
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

    // MARK: Service state

    func state(for service: ServiceName) -> String? {
        state.withLock { $0.serviceStates[service] }
    }

    /// Stores a reply's state: an empty text forgets it.
    func setState(_ text: String, for service: ServiceName) {
        state.withLock { $0.serviceStates[service] = text.isEmpty ? nil : text }
    }
}
