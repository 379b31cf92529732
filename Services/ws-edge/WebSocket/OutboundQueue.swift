import DequeModule
import NIOCore
import Synchronization

/// One connection's bounded queue of frames waiting to be written.
///
/// Fan-out only appends here, from any thread, and never waits: a client that stops reading fills its own queue and is
/// cut off (close code 1008) when it passes the bound, while everybody else's frames keep flowing. A single frame larger
/// than the whole byte bound is refused (`tooLarge`) even when the writer is idle: the bound is what one connection may
/// make this edge hold, and handing such a frame straight to a waiting writer would skip it.
final class OutboundQueue: Sendable {
    enum Outcome: Sendable, Equatable {
        case queued
        /// The bound was passed just now; the caller closes the connection.
        case overflowed
        /// The queue is closed; the frame is dropped.
        case closed
        /// The frame alone is larger than `maxBytes`; it is dropped and the queue is unchanged (still open).
        case tooLarge
    }

    private struct State {
        var frames = Deque<ByteBuffer>()
        var bytes = 0
        var closed = false
        var waiter: CheckedContinuation<ByteBuffer?, Never>?
    }

    let maxFrames: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxFrames: Int, maxBytes: Int) {
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }

    @discardableResult
    func enqueue(_ frame: ByteBuffer) -> Outcome {
        let (outcome, waiter): (Outcome, CheckedContinuation<ByteBuffer?, Never>?) = state.withLock { state in
            if state.closed { return (.closed, nil) }
            if frame.readableBytes > maxBytes { return (.tooLarge, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.queued, waiter)
            }
            if state.frames.count >= maxFrames || state.bytes + frame.readableBytes > maxBytes {
                state.closed = true
                state.frames.removeAll()
                state.bytes = 0
                return (.overflowed, nil)
            }
            state.frames.append(frame)
            state.bytes += frame.readableBytes
            return (.queued, nil)
        }
        waiter?.resume(returning: frame)
        return outcome
    }

    /// The next frame, waiting if none is queued; nil once the queue is closed and drained (an overflow drops what was queued).
    func next() async -> ByteBuffer? {
        await withCheckedContinuation { continuation in
            let ready: ByteBuffer?? = state.withLock { state in
                if let frame = state.frames.popFirst() {
                    state.bytes -= frame.readableBytes
                    return .some(frame)
                }
                if state.closed { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Closes the queue; frames already queued are still delivered by `next()` unless `discard` is set.
    func close(discard: Bool = false) {
        let waiter = state.withLock { state in
            state.closed = true
            if discard {
                state.frames.removeAll()
                state.bytes = 0
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    var depth: (frames: Int, bytes: Int) {
        state.withLock { ($0.frames.count, $0.bytes) }
    }
}
