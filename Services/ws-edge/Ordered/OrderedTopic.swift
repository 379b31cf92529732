import Bus
import Foundation
import NIOCore
import SwitchboardProtocol
import Synchronization

/// One ordered topic (a room, `room/<room>`) on this edge: its local members and what each has been sent.
///
/// Events come with their order in the event head (`EventHead`: `id`, `prev`; `origin`; `marker`), so nothing here
/// reads a frame. A joining member is *pending*: live frames are buffered for it until it has been sent everything up
/// to the id its join reply named, then the buffer is flushed without what it already has. A *live* member gets each
/// event newer than its last; an event whose `prev` is newer than the member's last means one was missed (published
/// before this edge's subscription reached that publisher, or by another scheduler instance whose copy has not arrived
/// yet): the member goes back to pending and the range is replayed from the stream first. So a member sees the room in
/// order: no gap, no duplicate, from any number of publishers.
final class OrderedTopic: Sendable {
    let topic: String
    let room: String
    private let context: EdgeContext
    private let state = Mutex(State())

    private struct Frame: Sendable {
        let bytes: ByteBuffer
        let id: StreamID?
        let previous: StreamID?
        let origin: String?
    }

    private enum Phase: Sendable {
        case pending([Frame])
        case live(last: StreamID)
    }

    private struct Member: Sendable {
        let connection: Connection
        var phase: Phase
    }

    private enum MarkerWait {
        case expected
        case arrived
        case waiting(CheckedContinuation<Bool, Never>)
    }

    private struct State: Sendable {
        var members: [String: Member] = [:]
        /// An event has come through, so the subscription is live (and stays live while the topic is followed).
        var subscribed = false
        var markers: [String: MarkerWait] = [:]
    }

    /// Replays are read in pages of this many messages.
    static let replayPage = 1000
    /// Gap repairs a member may need before its buffer is flushed as it is (history can have been trimmed or cleared).
    static let maxRepairs = 8
    /// How long one marker is waited for before another is asked for, and how many are asked for at most.
    static let markerWait = Duration.milliseconds(250)
    static let markerAttempts = 8

    init(topic: String, room: String, context: EdgeContext) {
        self.topic = topic
        self.room = room
        self.context = context
    }

    // MARK: Members

    /// Adds a member that gets nothing but buffered frames until `activate`; false when it is a member already.
    func add(_ connection: Connection) -> Bool {
        state.withLock { state in
            guard state.members[connection.id] == nil else { return false }
            state.members[connection.id] = Member(connection: connection, phase: .pending([]))
            return true
        }
    }

    /// Removes a member; returns how many members are left.
    func remove(_ connection: Connection) -> Int {
        state.withLock { state in
            state.members.removeValue(forKey: connection.id)
            return state.members.count
        }
    }

    var memberConnections: [Connection] { state.withLock { $0.members.values.map(\.connection) } }

    /// Connections of each user on this edge.
    var userCounts: [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for member in state.members.values { counts[member.connection.user, default: 0] += 1 }
            return counts
        }
    }

    /// Makes a pending member live once it has been sent everything up to `start`: confirms the subscription when no
    /// event has come through yet, replays what was stored after `start` meanwhile, repairs gaps before the buffered
    /// frames, then flushes the buffer without what the member already has.
    func activate(_ connection: Connection, after start: StreamID) async {
        var last = start
        if !state.withLock({ $0.subscribed }) { await confirmSubscription(for: connection) }
        await replay(connection, after: &last, before: nil)
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
            if await replay(connection, after: &last, before: before) { repairedBefore = before }
        }
    }

    /// Sends a pending member the stored frames after `last` (and before `before`) and advances `last`; true when the
    /// range was read to its end (or cannot be read: the member then goes on without it).
    @discardableResult
    private func replay(_ connection: Connection, after last: inout StreamID, before: StreamID?) async -> Bool {
        for _ in 0..<Self.maxRepairs {
            let page: RoomReplay.Result
            do {
                page = try await context.backends.client(.scheduler).call(
                    RoomReplay.self, .init(room: room, after: last.description, before: before?.description, limit: Self.replayPage),
                    timeout: .seconds(5))
            } catch {
                context.logger.warning("\(topic): cannot replay missed messages for \(connection.id): \(error)")
                return true
            }
            let newest = state.withLock { state -> StreamID? in
                guard let member = state.members[connection.id], case .pending = member.phase else { return nil }
                var newest = last
                for entry in page.frames {
                    guard let id = StreamID(entry.id), id > newest else { continue }
                    connection.send(ByteBuffer(string: entry.frame))
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

    /// Asks the scheduler for markers until one comes through (then everything published after it does too), or
    /// gives up after `markerAttempts` and relies on gap repair.
    private func confirmSubscription(for connection: Connection) async {
        for attempt in 0..<Self.markerAttempts {
            let token = "\(connection.id)-\(attempt)"
            state.withLock { $0.markers[token] = .expected }
            defer { _ = state.withLock { $0.markers.removeValue(forKey: token) } }
            do {
                _ = try await context.backends.client(.scheduler).call(RoomMark.self, .init(room: room, token: token), timeout: .seconds(2))
            } catch {
                context.logger.debug("\(topic): marker request failed: \(error)")
                return
            }
            if await waitForMarker(token) { return }
            if state.withLock({ $0.subscribed }) { return }
        }
        context.logger.debug("\(topic): no marker for \(connection.id); relying on gap repair")
    }

    /// True when the marker arrives within `markerWait`.
    private func waitForMarker(_ token: String) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.markerArrival(token) }
            group.addTask {
                try? await Task.sleep(for: Self.markerWait)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func markerArrival(_ token: String) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let ready: Bool? = state.withLock { state in
                    switch state.markers[token] {
                    case .arrived: return true
                    case .expected:
                        state.markers[token] = .waiting(continuation)
                        return nil
                    case .waiting, nil: return false
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
                guard case .waiting(let continuation) = state.markers[token] else { return nil }
                state.markers[token] = .expected
                return continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// The id of the first buffered frame newer than `last` whose predecessor is newer than `last` too (so something
    /// between them is missing), unless that gap was already repaired as far as the stream allows.
    private static func firstGap(in buffer: [Frame], after last: StreamID, repairedBefore: StreamID?) -> StreamID? {
        guard let next = buffer.first(where: { ($0.id ?? .zero) > last }), let id = next.id, let previous = next.previous, previous > last
        else { return nil }
        if let repairedBefore, id <= repairedBefore { return nil }
        return id
    }

    /// Sends one frame to a member whose last event is `last`: ordered events only when newer, the others unless they
    /// are about this very connection.
    private static func deliver(_ frame: Frame, to connection: Connection, last: inout StreamID) {
        if let id = frame.id {
            guard id > last else { return }
            connection.send(frame.bytes)
            last = id
        } else if frame.origin != connection.id {
            connection.send(frame.bytes)
        }
    }

    // MARK: Delivery

    /// One event of the topic, on the SUB socket's thread: never waits.
    func dispatch(payload: [UInt8], head: [UInt8]?) {
        let head = head.flatMap { EventHead(bytes: $0) } ?? EventHead()
        if let token = head.marker {
            let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
                state.subscribed = true
                switch state.markers[token] {
                case .waiting(let continuation):
                    state.markers[token] = .arrived
                    return continuation
                case .expected:
                    state.markers[token] = .arrived
                    return nil
                case .arrived, nil: return nil
                }
            }
            waiter?.resume(returning: true)
            return
        }
        let frame = Frame(
            bytes: ByteBuffer(bytes: payload), id: head.id.flatMap { StreamID($0) }, previous: head.prev.flatMap { StreamID($0) },
            origin: head.origin)
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
                    if let id = frame.id, id > last, let previous = frame.previous, previous > last {
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
}
