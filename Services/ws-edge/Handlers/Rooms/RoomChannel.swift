import Bus
import Foundation
import NIOCore
import SwitchboardProtocol
import Synchronization

/// One room on this edge: the local members and what each has been sent.
///
/// The channel listens to `room/<room>` through a relay connection in the registry (one per room per edge) and hands
/// each frame to its members itself, because a member that is joining must not get live messages before its
/// `room_joined` history, nor twice. A joining member is *pending*: live frames are buffered for it until its history is
/// sent, then the buffer is flushed without what the history already held. A *live* member gets each chat message whose
/// id is newer than its last; when a message names a previous id newer than the member's last (a message this edge did
/// not receive, e.g. published before the edge's subscription reached the scheduler), the member goes back to pending
/// and the missing range is fetched from history first. So a member sees the room's history in order: no gap, no
/// duplicate.
final class RoomChannel: Sendable {
    let room: String
    private let context: EdgeContext
    private let state: Mutex<State>

    /// A frame from the relay with what delivery needs to know about it.
    private struct Frame: Sendable {
        let bytes: ByteBuffer
        let head: RoomFrameHead
    }

    private enum Phase: Sendable {
        case pending([Frame])
        case live(last: StreamID)
    }

    private struct Member: Sendable {
        let connection: Connection
        var phase: Phase
        /// This member's `room_marker` has come through the relay.
        var markerSeen = false
    }

    private struct State: Sendable {
        var members: [String: Member] = [:]
        var relay: Connection
        var closed = false
        /// A frame has come through the relay, so its subscription is live (and stays live while the relay does).
        var subscribed = false
    }

    /// Catch-up pages are read in steps of this many messages.
    static let catchUpPage = 1000
    /// Gap repairs a member may need before its buffer is flushed as it is (history can have been trimmed or cleared).
    static let maxRepairs = 8
    /// How long a join into a new relay waits for its marker before reading on anyway.
    static let markerTimeout = Duration.seconds(2)

    init(room: String, context: EdgeContext) {
        self.room = room
        self.context = context
        state = Mutex(State(relay: Self.makeRelay(room: room, edgeID: context.edgeID)))
    }

    private var topic: String { RoomName.topic(room) }

    /// Joins the relay to the room's topic and starts delivering.
    func start() {
        let relay = state.withLock { $0.relay }
        context.registry.join(relay, topic)
        Task { await self.deliverLoop() }
    }

    /// Leaves the topic and stops; the channel is not used again.
    func close() {
        let relay = state.withLock { state in
            state.closed = true
            return state.relay
        }
        context.registry.leave(relay, topic)
        relay.queue.close(discard: true)
    }

    // MARK: Members

    /// Adds a member that gets nothing but buffered frames until `activate`. Returns whether the relay's subscription
    /// is still unconfirmed (so the join must confirm it), or nil when the connection is a member already.
    func add(_ connection: Connection) -> Bool? {
        state.withLock { state in
            guard state.members[connection.id] == nil else { return nil }
            state.members[connection.id] = Member(connection: connection, phase: .pending([]))
            return !state.subscribed
        }
    }

    /// Removes a member; returns how many members are left.
    func remove(_ connection: Connection) -> Int {
        state.withLock { state in
            state.members.removeValue(forKey: connection.id)
            return state.members.count
        }
    }

    var isEmpty: Bool { state.withLock { $0.members.isEmpty } }

    /// The member connections on this edge (pending and live).
    var memberConnections: [Connection] { state.withLock { $0.members.values.map(\.connection) } }

    /// Connections of each user in the room on this edge.
    var userCounts: [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for member in state.members.values { counts[member.connection.user, default: 0] += 1 }
            return counts
        }
    }

    func connections(of user: String) -> Int {
        state.withLock { state in state.members.values.count { $0.connection.user == user } }
    }

    /// Makes a pending member live once it has been sent everything up to `last`: repairs a gap between `last` and the
    /// buffered frames from history, then flushes the buffer without what it already has.
    ///
    /// When the relay is new, its subscription may not have reached the scheduler when the history was read, and a
    /// message published in between would reach nobody here. So the member first waits for its `room_marker` (published
    /// by the scheduler after the history read): from then on everything published comes through, and one more read of
    /// what came after `last` covers the time before.
    func activate(_ connection: Connection, after start: StreamID, confirmSubscription: Bool = false) async {
        var last = start
        if confirmSubscription {
            await waitForMarker(of: connection)
            await catchUp(connection, after: &last, before: nil)
        }
        var repairedBefore: StreamID?
        var repairs = 0
        while true {
            let gap: StreamID? = state.withLock { state in
                guard var member = state.members[connection.id], case .pending(let buffer) = member.phase else { return nil }
                if repairs < Self.maxRepairs, let before = Self.firstGap(in: buffer, after: last, repairedBefore: repairedBefore) {
                    return before
                }
                for frame in buffer { Self.deliver(frame, to: connection, last: &last) }
                member.phase = .live(last: last)
                state.members[connection.id] = member
                return nil
            }
            guard let before = gap else { return }
            repairs += 1
            if await catchUp(connection, after: &last, before: before) { repairedBefore = before }
        }
    }

    /// Sends a pending member the stored messages after `last` (and before `before`) and advances `last`; true when the
    /// range was read to its end (or cannot be read: the member then goes on without it).
    @discardableResult
    private func catchUp(_ connection: Connection, after last: inout StreamID, before: StreamID?) async -> Bool {
        for _ in 0..<Self.maxRepairs {
            let page: RoomHistory.Result
            do {
                page = try await context.backends.client(.scheduler).call(
                    RoomHistory.self,
                    .init(room: room, before: before?.description, after: last.description, limit: Self.catchUpPage),
                    timeout: .seconds(5)
                )
            } catch {
                context.logger.warning("room \(room): cannot fetch missed messages for \(connection.id): \(error)")
                return true
            }
            let newest = state.withLock { state -> StreamID? in
                guard let member = state.members[connection.id], case .pending = member.phase else { return nil }
                var newest = last
                for entry in page.messages {
                    guard let id = StreamID(entry.id), id > newest else { continue }
                    connection.send(ServerFrame.make("chat_message", id: entry.id, data: entry))
                    newest = id
                }
                return newest
            }
            guard let newest else { return true }
            last = newest
            if !page.hasMore { return true }
        }
        return false
    }

    private func waitForMarker(of connection: Connection) async {
        let end = ContinuousClock.now + Self.markerTimeout
        while ContinuousClock.now < end {
            let seen = state.withLock { $0.members[connection.id]?.markerSeen ?? true }
            if seen { return }
            try? await Task.sleep(for: .milliseconds(2))
        }
        context.logger.debug("room \(room): no marker for \(connection.id) within \(Self.markerTimeout); reading on")
    }

    /// The id of the first buffered chat message newer than `last` whose predecessor is newer than `last` too (so
    /// something between them is missing), unless that gap was already repaired as far as history allows.
    private static func firstGap(in buffer: [Frame], after last: StreamID, repairedBefore: StreamID?) -> StreamID? {
        guard let next = buffer.first(where: { ($0.head.chatID ?? .zero) > last }), let id = next.head.chatID,
            let previous = next.head.previousID, previous > last
        else { return nil }
        if let repairedBefore, id <= repairedBefore { return nil }
        return id
    }

    /// Sends one frame to a member whose last message is `last`: chat messages only when newer, member events unless
    /// they are about this very connection.
    private static func deliver(_ frame: Frame, to connection: Connection, last: inout StreamID) {
        if let id = frame.head.chatID {
            guard id > last else { return }
            connection.send(frame.bytes)
            last = id
        } else if frame.head.origin != connection.id {
            connection.send(frame.bytes)
        }
    }

    // MARK: Delivery

    private func deliverLoop() async {
        while true {
            let relay = state.withLock { $0.relay }
            guard let bytes = await relay.queue.next() else {
                // Closed on purpose, or the relay fell past its bound (frames were dropped: members find the gap).
                let replacement = state.withLock { state -> Connection? in
                    guard !state.closed else { return nil }
                    state.subscribed = false
                    state.relay = Self.makeRelay(room: room, edgeID: context.edgeID)
                    return state.relay
                }
                guard let replacement else { return }
                context.logger.warning("room \(room): relay queue overflowed on this edge; resubscribing")
                context.registry.leave(relay, topic)
                context.registry.join(replacement, topic)
                continue
            }
            dispatch(Frame(bytes: bytes, head: RoomFrameHead(bytes)))
        }
    }

    private func dispatch(_ frame: Frame) {
        if frame.head.isMarker {
            state.withLock { state in
                state.subscribed = true
                if let origin = frame.head.origin { state.members[origin]?.markerSeen = true }
            }
            return
        }
        var repairs: [(Connection, StreamID)] = []
        state.withLock { state in
            state.subscribed = true
            // Members are updated in place (no copy of the table or of a pending buffer per frame).
            var index = state.members.values.startIndex
            while index != state.members.values.endIndex {
                let connection = state.members.values[index].connection
                switch state.members.values[index].phase {
                case .pending(var buffer):
                    state.members.values[index].phase = .live(last: .zero)
                    buffer.append(frame)
                    state.members.values[index].phase = .pending(buffer)
                case .live(var last):
                    if let id = frame.head.chatID, id > last, let previous = frame.head.previousID, previous > last {
                        state.members.values[index].phase = .pending([frame])
                        repairs.append((connection, last))
                    } else {
                        Self.deliver(frame, to: connection, last: &last)
                        state.members.values[index].phase = .live(last: last)
                    }
                }
                state.members.values.formIndex(after: &index)
            }
        }
        for (connection, last) in repairs {
            Task { await self.activate(connection, after: last) }
        }
    }

    /// The registry member that receives the room's frames for this edge. It is never registered as a client, so it
    /// gets no greetings, heartbeats or `all` frames; its queue is large because it holds frames for the whole room.
    private static func makeRelay(room: String, edgeID: String) -> Connection {
        Connection(
            id: "\(edgeID)-room-\(room)",
            endpoint: .main,
            principal: nil,
            ip: "-",
            queue: OutboundQueue(maxFrames: 100_000, maxBytes: 256 << 20),
            onClose: { _ in }
        )
    }
}
