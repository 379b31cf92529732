import Foundation
import Logging
import NIOCore
import Synchronization

/// The signer's side of the e-port client: a pool of connections, a bounded queue for a free one, a deadline per request
/// and one retry on a fresh connection after a connection error.
///
/// The bridge this replaces ran every request behind one lock on one connection. Here each of `poolSize` connections
/// carries one request at a time (what a card reader can do), or up to `multiplexInFlight` matched by `_id` in
/// multiplex mode; callers beyond that wait in a FIFO queue of at most `queueLimit`, and beyond that get `busy` at once.
/// The deadline covers everything — queue, connect, handshake, retry and reply — so every caller gets an answer in
/// bounded time.
final class UpstreamPool: Sendable {
    /// One call to the e-port client.
    enum Operation: Sendable {
        case sign(inData: String, passwd: String)
        case certNo
        case digest(szInfo: String, passwd: String?)
        case certificate

        func frame(id: Int) -> String {
            switch self {
            case .sign(let inData, let passwd): EPortFrames.signRequest(id: id, inData: inData, passwd: passwd)
            case .certNo: EPortFrames.certNoRequest(id: id)
            case .digest(let szInfo, let passwd): EPortFrames.digestRequest(id: id, szInfo: szInfo, passwd: passwd)
            case .certificate: EPortFrames.certificateRequest(id: id)
            }
        }

        var method: String {
            switch self {
            case .sign: EPortFrames.signMethod
            case .certNo: EPortFrames.certNoMethod
            case .digest: EPortFrames.digestMethod
            case .certificate: EPortFrames.certificateMethod
            }
        }
    }

    private struct Slot {
        var connection: UpstreamConnection?
        var inFlight = 0
    }

    private struct Waiter {
        let id: Int
        let grant: OneShot<Int>
    }

    private struct State {
        var slots: [Slot]
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var nextRequestID = 0
        var connectionsMade = 0
        var upstreamState = "unknown"
        var lastError: String?
        var lastErrorAt: Date?
        var lastSuccessAt: Date?
        var certNo: String?
    }

    let settings: SignerSettings
    private let logger: Logger
    private let state: Mutex<State>

    init(settings: SignerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        state = Mutex(State(slots: Array(repeating: Slot(), count: settings.poolSize)))
    }

    private var capacity: Int { settings.multiplex ? settings.multiplexInFlight : 1 }

    /// Runs one operation within `timeout` (never longer than the configured request timeout). A timeout while waiting
    /// for a slot or a handshake leaves the calling task cancelled (see `DeadlineTimer`): call it from a task of its own.
    func perform(_ operation: Operation, timeout: Duration? = nil) async throws(UpstreamError) -> EPortReply {
        let deadline = UpstreamDeadline(min(timeout ?? settings.timeout, settings.timeout))
        do {
            return try await attempt(operation, deadline: deadline)
        } catch {
            if case .timeout = error { record(error) }
            throw error
        }
    }

    /// The request with its single retry: a connection error gets one more try on a fresh connection; nothing else does.
    private func attempt(_ operation: Operation, deadline: UpstreamDeadline) async throws(UpstreamError) -> EPortReply {
        var retried = false
        while true {
            let slot = try await acquire(deadline: deadline)
            do {
                let reply = try await call(operation, on: slot, deadline: deadline)
                release(slot)
                recordSuccess()
                return reply
            } catch {
                release(slot)
                if case .timeout = error { throw error }
                if Task.isCancelled { throw deadline.hasPassed ? .timeout(deadline.limit) : error }
                record(error)
                guard error.isRetryable, !retried else { throw error }
                retried = true
                logger.info("upstream connection error, retrying once on a fresh connection: \(error)")
            }
        }
    }

    private func call(_ operation: Operation, on slot: Int, deadline: UpstreamDeadline) async throws(UpstreamError) -> EPortReply {
        let connection = connection(for: slot)
        if !connection.isOpen {
            try await deadline.wait { () async throws(UpstreamError) in try await connection.waitUntilOpen() }
        }
        // 1…Int32.max, then round again: the Java client reads `_id` into an `Integer`, and 0 is the `open` frame's.
        let id = state.withLock { state in
            state.nextRequestID = state.nextRequestID >= Int(Int32.max) ? 1 : state.nextRequestID + 1
            return state.nextRequestID
        }
        return try await connection.call(
            id: id, method: operation.method, frame: operation.frame(id: id), deadline: deadline.instant, timeout: deadline.limit)
    }

    /// The slot's live connection, or a new one when it has none or its last one closed.
    private func connection(for slot: Int) -> UpstreamConnection {
        state.withLock { state in
            if let connection = state.slots[slot].connection, !connection.isClosed { return connection }
            state.connectionsMade += 1
            let connection = UpstreamConnection(
                number: state.connectionsMade,
                url: settings.upstreamURL,
                multiplex: settings.multiplex,
                blockFrames: settings.blockFrames,
                logger: logger
            )
            state.slots[slot].connection = connection
            return connection
        }
    }

    // MARK: Slots and the wait queue

    /// A slot with room for one more request: at once when one is free, else after waiting in the FIFO queue (until
    /// the deadline).
    private func acquire(deadline: UpstreamDeadline) async throws(UpstreamError) -> Int {
        /// A free slot, or a place in the queue (the only case that needs a `OneShot`).
        enum Take {
            case slot(Int)
            case queued(id: Int, grant: OneShot<Int>)
        }
        let capacity = capacity
        let queueLimit = settings.queueLimit
        let take: Take = try state.withLock { (state) throws(UpstreamError) -> Take in
            var best: (index: Int, score: (Int, Int))?
            for (index, slot) in state.slots.enumerated() where slot.inFlight < capacity {
                let score = (slot.connection?.isOpen == true ? 0 : 1, slot.inFlight)
                if best == nil || score < best!.score { best = (index, score) }
                // An idle open connection is as good as it gets: the rest of the pool need not be asked.
                if score == (0, 0) { break }
            }
            if let best {
                state.slots[best.index].inFlight += 1
                return .slot(best.index)
            }
            guard state.waiters.count < queueLimit else { throw .busy(queueLimit) }
            state.nextWaiter += 1
            let grant = OneShot<Int>()
            state.waiters.append(Waiter(id: state.nextWaiter, grant: grant))
            return .queued(id: state.nextWaiter, grant: grant)
        }
        let waiterID: Int
        let grant: OneShot<Int>
        switch take {
        case .slot(let slot): return slot
        case .queued(let id, let queued): (waiterID, grant) = (id, queued)
        }
        let timeout = deadline.limit
        let slot = try await deadline.wait { () async throws(UpstreamError) -> Int in
            let result = await grant.wait { [self] in
                let removed = state.withLock { state in
                    guard let position = state.waiters.firstIndex(where: { $0.id == waiterID }) else { return false }
                    state.waiters.remove(at: position)
                    return true
                }
                if removed { grant.complete(.failure(.timeout(timeout))) }
            }
            return try result.get()
        }
        // Granted as the deadline passed: the slot goes to the next waiter, the caller gets its timeout.
        if Task.isCancelled {
            release(slot)
            throw .timeout(timeout)
        }
        return slot
    }

    /// Hands the slot to the longest waiter, or frees it.
    private func release(_ slot: Int) {
        let next: Waiter? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.slots[slot].inFlight -= 1
            return nil
        }
        next?.grant.complete(.success(slot))
    }

    // MARK: Health

    private func recordSuccess() {
        state.withLock { state in
            state.upstreamState = "connected"
            state.lastSuccessAt = Date()
        }
    }

    private func record(_ error: UpstreamError) {
        state.withLock { state in
            switch error {
            case .connect, .closed, .handshake: state.upstreamState = "down"
            default: break
            }
            state.lastError = error.description
            state.lastErrorAt = Date()
        }
    }

    func recordCertNo(_ certNo: String) {
        state.withLock { $0.certNo = certNo }
    }

    /// What `sys.health` shows: upstream state, last error, pool size, in use, queued, mode.
    func healthDetails() -> [String: String] {
        state.withLock { state in
            var details: [String: String] = [
                "upstream": settings.upstreamURL,
                "upstream_state": state.upstreamState,
                "pool_size": String(settings.poolSize),
                "connections_open": String(state.slots.count { $0.connection?.isOpen == true }),
                "in_use": String(state.slots.reduce(0) { $0 + $1.inFlight }),
                "queued": String(state.waiters.count),
                "queue_limit": String(settings.queueLimit),
                "mode": settings.multiplex ? "multiplex(\(settings.multiplexInFlight))" : "serial",
                "block_frames": settings.blockFrames ? "over 120 KB" : "off",
                "timeout_ms": String(settings.timeoutMilliseconds),
                "last_error": state.lastError ?? "none",
            ]
            let formatter = ISO8601DateFormatter()
            if let at = state.lastErrorAt { details["last_error_at"] = formatter.string(from: at) }
            if let at = state.lastSuccessAt { details["last_success_at"] = formatter.string(from: at) }
            if let certNo = state.certNo { details["cert_no"] = certNo }
            return details
        }
    }

    /// Closes every connection (shutdown).
    func closeAll() {
        let connections = state.withLock { state in state.slots.compactMap(\.connection) }
        for connection in connections { connection.close(.closed("signer 正在停止")) }
    }
}

/// A request's time limit: `limit` from when the pool took it, as the instant its e-port wait is armed for on the event
/// loop (`UpstreamConnection.call`), and as the time left for the waits before it that may block.
struct UpstreamDeadline: Sendable {
    let limit: Duration
    let instant: NIODeadline

    init(_ limit: Duration, now: NIODeadline = .now()) {
        self.limit = limit
        instant = now + TimeAmount(limit)
    }

    var hasPassed: Bool { NIODeadline.now() >= instant }

    /// Runs a wait that may block (a queue for a slot, a handshake) under the time left (`DeadlineTimer`: the task is
    /// cancelled when it runs out); any failure once the deadline has passed is `.timeout(limit)`, the whole limit, as the
    /// caller sees it.
    func wait<Value>(_ body: () async throws(UpstreamError) -> Value) async throws(UpstreamError) -> Value {
        let left = instant - NIODeadline.now()
        guard left > .zero else { throw .timeout(limit) }
        do {
            return try await DeadlineTimer.run(Duration(left)) { () async throws(UpstreamError) -> Value in try await body() }
        } catch {
            if case .timeout = error { throw .timeout(limit) }
            throw hasPassed ? .timeout(limit) : error
        }
    }
}
