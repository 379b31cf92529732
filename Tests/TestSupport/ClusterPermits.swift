import Foundation
import Synchronization

/// How many clusters of real processes may run at once across the whole test run.
///
/// Swift Testing runs suites in parallel: without a bound, every integration suite starts its five processes and a
/// redis-server at the same moment, and on a 2-core machine start-up, health waits and timing assertions then measure the
/// scheduler's queue rather than Switchboard. A cluster takes a permit in `Cluster.start` and gives it back in `shutdown()`;
/// a test waiting for one holds none, so waiting can never deadlock as long as no test keeps one cluster while starting a
/// second (none does). `SWITCHBOARD_TEST_CLUSTERS` sets the count; the default is the number of cores, at least 2.
public final class ClusterPermits: Sendable {
    public static let shared = ClusterPermits(
        count: ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_CLUSTERS"].flatMap { Int($0) }.map { max(1, $0) }
            ?? max(2, ProcessInfo.processInfo.activeProcessorCount)
    )

    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    public let count: Int
    private let state: Mutex<State>

    public init(count: Int) {
        self.count = count
        state = Mutex(State(available: count))
    }

    /// Waits for a permit; throws `CancellationError` (holding none) when the waiting test is cancelled.
    public func acquire() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let granted = state.withLock { state -> Bool? in
                    if Task.isCancelled { return nil }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return false
                }
                switch granted {
                case true?: continuation.resume()
                case nil: continuation.resume(throwing: CancellationError())
                case false?: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Gives a permit back, to the longest waiter if there is one. Synchronous, so `shutdown()` and `deinit` can call it.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty {
                state.available = min(count, state.available + 1)
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
