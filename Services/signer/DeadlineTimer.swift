import NIOCore
import NIOPosix
import Synchronization

/// A deadline for the current task: when it passes first, the task is cancelled, which abandons whatever it waits for.
///
/// The pool used a task group with a second child sleeping until the deadline (two tasks and a `Task.sleep` per
/// request), then an event-loop scheduled task per request, which still cost two cross-thread wake-ups of an event loop
/// per request (schedule and cancel, both from a pool thread). Deadlines now sit in one table that `DeadlineSweeper`
/// checks every few milliseconds from its own event loop: a request only adds and removes an entry under a lock.
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
        let entry = DeadlineSweeper.shared.add(timer, in: .nanoseconds(nanoseconds))
        let result: Result<Value, UpstreamError>
        do throws(UpstreamError) {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        let fired = timer.finish()
        DeadlineSweeper.shared.remove(entry)
        // A reply that made it in spite of the deadline is still the caller's; only a failure becomes the timeout.
        if fired, case .failure = result { throw .timeout(timeout) }
        return try result.get()
    }

    fileprivate func fire() {
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

/// The table of running deadlines, swept every `tick` on one event loop while it has entries (and not at all when it
/// is empty). A deadline fires up to one tick late; the request timeouts it serves are seconds long.
final class DeadlineSweeper: Sendable {
    static let shared = DeadlineSweeper(tick: .milliseconds(5))

    private struct State {
        var entries: [Int: (deadline: NIODeadline, timer: DeadlineTimer)] = [:]
        var nextEntry = 0
        var sweeping = false
    }

    private let tick: TimeAmount
    private let loop: any EventLoop
    private let state = Mutex(State())

    init(tick: TimeAmount, loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.tick = tick
        self.loop = loop
    }

    /// Adds `timer`, due `timeout` from now; the sweep starts if it was idle.
    func add(_ timer: DeadlineTimer, in timeout: TimeAmount) -> Int {
        let deadline = NIODeadline.now() + timeout
        let (entry, start) = state.withLock { state in
            state.nextEntry &+= 1
            state.entries[state.nextEntry] = (deadline, timer)
            defer { state.sweeping = true }
            return (state.nextEntry, !state.sweeping)
        }
        if start { loop.scheduleTask(in: tick) { self.sweep() } }
        return entry
    }

    func remove(_ entry: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: entry) }
    }

    /// Deadlines still in the table (tests: every request takes its own out).
    var count: Int { state.withLock { $0.entries.count } }

    /// Fires what is due; schedules the next sweep (on this loop: no wake-up) while entries remain.
    private func sweep() {
        let now = NIODeadline.now()
        let (due, more): ([DeadlineTimer], Bool) = state.withLock { state in
            let keys = state.entries.compactMap { $0.value.deadline <= now ? $0.key : nil }
            let due = keys.compactMap { state.entries.removeValue(forKey: $0)?.timer }
            if state.entries.isEmpty { state.sweeping = false }
            return (due, state.sweeping)
        }
        for timer in due { timer.fire() }
        if more { loop.scheduleTask(in: tick) { self.sweep() } }
    }
}
