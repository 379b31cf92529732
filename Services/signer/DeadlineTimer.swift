import NIOCore
import NIOPosix
import Synchronization

/// A deadline for the current task: when it passes first, the task is cancelled, which abandons whatever it waits for.
///
/// The pool used a task group with a second child sleeping until the deadline; that is two tasks and a `Task.sleep`
/// per request, and a cancelled sleep stays in the timer queue until its 30 s pass (tens of thousands of dead timers
/// at load). An event-loop scheduled task is one heap entry, removed when the request is done.
///
/// Scheduled and cancelled from the waiting task's thread, it wakes the loop twice, so the pool no longer runs every
/// request under one: the wait for the e-port reply has its deadline armed on the connection's own loop
/// (`UpstreamConnection.call`), and this guards only the waits that may block before it, for a slot or a handshake
/// (`UpstreamDeadline.wait`).
final class DeadlineTimer: Sendable {
    /// The task to cancel. `@unchecked`: it is only cancelled under the lock, and cleared (under the lock) before the
    /// task leaves `run`, so it is never used after the task is gone.
    private struct TaskHandle: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct State {
        var task: TaskHandle?
        var done = false
        var fired = false
    }

    private let state = Mutex(State())

    /// Runs `body` in the current task; throws `.timeout(timeout)` when the deadline cancelled it.
    ///
    /// The current task stays cancelled after a timeout, so run it where that ends the work (a request's own task).
    static func run<Value>(
        _ timeout: Duration,
        _ body: () async throws(UpstreamError) -> Value
    ) async throws(UpstreamError) -> Value {
        let timer = DeadlineTimer()
        let handle = withUnsafeCurrentTask { task in task.map(TaskHandle.init) }
        timer.state.withLock { $0.task = handle }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = seconds >= Int64.max / 1_000_000_000 ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanoseconds)) { timer.fire() }
        let result: Result<Value, UpstreamError>
        do throws(UpstreamError) {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        let fired = timer.finish()
        scheduled.cancel()
        // A reply that made it in spite of the deadline is still the caller's; only a failure becomes the timeout.
        if fired, case .failure = result { throw .timeout(timeout) }
        return try result.get()
    }

    private func fire() {
        state.withLock { state in
            guard !state.done else { return }
            state.fired = true
            // Under the lock, so the task cannot finish (and be freed) while it is being cancelled.
            state.task?.task.cancel()
        }
    }

    /// Marks the body done; true when the deadline fired first.
    private func finish() -> Bool {
        state.withLock { state in
            state.done = true
            state.task = nil
            return state.fired
        }
    }
}
