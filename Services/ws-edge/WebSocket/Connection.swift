import Foundation
import Logging
import Metrics
import NIOCore
import SwitchboardProtocol
import Synchronization

/// One client WebSocket on this edge as the rest of the edge sees it: who it is, where it came from, the topics it
/// listens to and what services keep about it. Its socket is owned by its transport (`WebSocketConnectionHandler`) on
/// the channel's event loop; every call here may come from any thread and hops there.
final class Connection: Sendable {
    enum Endpoint: Sendable, Equatable {
        /// `/ws`: telemetry, control, rooms, questions.
        case main
        /// `/ws/permissions/{user}`: permission and menu notifications for one user.
        case permissions(user: String)
    }

    let id: String
    let endpoint: Endpoint
    let principal: Principal?
    let ip: String
    let eventLoop: any EventLoop
    /// The largest frame this connection may make the edge hold (`SWITCHBOARD_WS_QUEUE_BYTES`).
    let maxBytes: Int
    /// How the client reads frames (Socket.IO packets, permessage-deflate), fixed at the upgrade.
    let encoding: WireEncoding
    private let transport: NIOLoopBound<any ConnectionTransport>
    private let registry: ConnectionRegistry
    private let state = Mutex(State())
    private let framesIn = Atomic<Int>(0)
    private let framesOut = Atomic<Int>(0)

    private struct State {
        var topics: Set<String> = []
        var closing = false
        var oversizedDrops = 0
        /// What each service keeps about this connection (`ClientCommandReply.state`), opaque here.
        var serviceStates: [ServiceName: String] = [:]
    }

    init(
        id: String, endpoint: Endpoint, principal: Principal?, ip: String, transport: any ConnectionTransport, eventLoop: any EventLoop,
        maxBytes: Int, registry: ConnectionRegistry, encoding: WireEncoding = .plain
    ) {
        self.id = id
        self.endpoint = endpoint
        self.principal = principal
        self.ip = ip
        self.eventLoop = eventLoop
        self.transport = NIOLoopBound(transport, eventLoop: eventLoop)
        self.maxBytes = maxBytes
        self.encoding = encoding
        self.registry = registry
    }

    /// The user name, or `anonymous`.
    var user: String { principal?.user ?? "anonymous" }

    /// Sends a frame written by a service or `ServerFrame`.
    func send(_ frame: [UInt8]) {
        send(ByteBuffer(bytes: frame))
    }

    /// Writes a text frame on the connection's loop. A client whose unsent bytes pass the bound is closed with 1008
    /// (the channel's writability, `WebSocketConnectionHandler`) instead of slowing anyone.
    func send(_ frame: ByteBuffer) {
        let encoding = self.encoding
        if eventLoop.inEventLoop {
            transport.value.write(encoding.prepare(frame))
        } else {
            let transport = self.transport
            eventLoop.execute { transport.value.write(encoding.prepare(frame)) }
        }
    }

    /// Fan-out: the frame is prepared once per encoding among the members (compressed once, not once per member), and
    /// the same bytes go to every member of that encoding, one hop per event loop rather than one per connection.
    static func send(_ frame: ByteBuffer, to connections: [Connection]) {
        guard connections.count > 1 else {
            connections.first?.send(frame)
            return
        }
        var prepared: [WireEncoding: WirePayload] = [:]
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, members: [(Connection, WirePayload)])] = [:]
        for connection in connections {
            let encoding = connection.encoding
            let payload: WirePayload
            if let known = prepared[encoding] {
                payload = known
            } else {
                payload = encoding.prepare(frame)
                prepared[encoding] = payload
            }
            byLoop[ObjectIdentifier(connection.eventLoop), default: (connection.eventLoop, [])].members.append((connection, payload))
        }
        for (loop, members) in byLoop.values {
            loop.execute {
                for (member, payload) in members { member.transport.value.write(payload) }
            }
        }
    }

    func countSent() {
        framesOut.wrappingAdd(1, ordering: .relaxed)
        EdgeCounters.shared.frameSent()
    }

    /// A frame bigger than the connection's whole byte bound (`SWITCHBOARD_WS_QUEUE_BYTES`) is dropped, logged, and the
    /// client told with an `error` frame (`REJECTED`, sizes in `details`), so it can ask for less (a smaller history
    /// `limit`, fewer channels); the connection stays open. The notice is small, so it cannot be refused in turn.
    func refusal(ofOversized frame: ByteBuffer) -> ByteBuffer? {
        let size = frame.readableBytes
        let type = Self.frameType(frame)
        let drops = state.withLock { state in
            state.oversizedDrops += 1
            return state.oversizedDrops
        }
        // A group's data_batch can be oversized on every tick: warn once per connection, then only count.
        Self.logger.log(
            level: drops == 1 ? .warning : .debug, "outbound frame dropped: larger than the connection's queue bound",
            metadata: ["connection": "\(id)", "type": "\(type)", "bytes": "\(size)", "limit": "\(maxBytes)", "drops": "\(drops)"])
        Counter(label: "switchboard_ws_oversized_frames_dropped_total").increment()
        let notice = EdgeFrame.error(
            ProtocolFailure(
                code: .rejected,
                message: "a \(type) frame of \(size) bytes was not sent: it is larger than this connection's \(maxBytes)-byte bound",
                details: ["frame_type": type, "frame_bytes": String(size), "limit_bytes": String(maxBytes)]))
        return notice.readableBytes <= maxBytes ? notice : nil
    }

    private static let logger = Logger(label: "ws-edge.connection")

    private struct FrameType: Decodable {
        let type: String
    }

    /// The `type` of a refused frame, for the notice only: decoded on this rare path, never on delivery.
    private static func frameType(_ frame: ByteBuffer) -> String {
        (try? JSONDecoder().decode(FrameType.self, from: Data(frame.readableBytesView)))?.type.prefix(64).description ?? "?"
    }

    /// Closes with this code (the WebSocket close handshake); the first request wins. The connection leaves the
    /// registry at once, so it gets no more fan-out while the client answers.
    func requestClose(code: UInt16, reason: String) {
        guard markClosing() else { return }
        let transport = self.transport
        eventLoop.execute { transport.value.startClose(code: code, reason: reason) }
    }

    /// Notes that the connection is closing and takes it out of the registry; false when it was closing already.
    @discardableResult
    func markClosing() -> Bool {
        let first = state.withLock { state -> Bool in
            defer { state.closing = true }
            return !state.closing
        }
        if first { registry.remove(self) }
        return first
    }

    func countInbound() { framesIn.wrappingAdd(1, ordering: .relaxed) }

    var counters: (framesIn: Int, framesOut: Int) { (framesIn.load(ordering: .relaxed), framesOut.load(ordering: .relaxed)) }

    /// Runs `body` in turn with the connection's calls to services (one at a time, in order), and returns its value.
    func serially<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let transport = self.transport
            eventLoop.execute {
                transport.value.enqueueCall(keepAfterClose: true) { continuation.resume(returning: await body()) }
            }
        }
    }

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
