import Synchronization

/// A value delivered exactly once to at most one waiter, completed from any thread.
///
/// Replies, handshakes and free pool slots all arrive on some other task than the one waiting for them; whoever
/// completes first wins and later completions are ignored, so a reply and a timeout can race without double delivery.
/// A waiter whose task is cancelled (its deadline passed) runs `onCancel`, which must complete the slot, so it never hangs.
///
/// The continuation is an `UnsafeContinuation`: the state resumes it exactly once (the first `complete` takes it out
/// under the lock, a value already there is handed over without storing it), so the checked kind's canary object, one
/// more allocation per wait, checks nothing this does not.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case waiting(UnsafeContinuation<Result<Value, UpstreamError>, Never>?)
        case done(Result<Value, UpstreamError>)
    }

    private let state = Mutex<State>(.waiting(nil))

    /// Delivers `result` unless something was delivered before; true when this call delivered it.
    @discardableResult
    func complete(_ result: Result<Value, UpstreamError>) -> Bool {
        let waiter: UnsafeContinuation<Result<Value, UpstreamError>, Never>?? = state.withLock { state in
            guard case .waiting(let continuation) = state else { return .none }
            state = .done(result)
            return .some(continuation)
        }
        guard case .some(let continuation) = waiter else { return false }
        continuation?.resume(returning: result)
        return true
    }

    /// The delivered value, if any: lets a caller that finds it ready skip the continuation.
    var result: Result<Value, UpstreamError>? {
        state.withLock { if case .done(let result) = $0 { result } else { nil } }
    }

    var isCompleted: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }

    /// Waits for the value; when the task is cancelled, `onCancel` runs (and should complete this slot).
    func wait(onCancel: @escaping @Sendable () -> Void) async -> Result<Value, UpstreamError> {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                let ready: Result<Value, UpstreamError>? = state.withLock { state in
                    switch state {
                    case .done(let result): return result
                    case .waiting:
                        state = .waiting(continuation)
                        return nil
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            onCancel()
        }
    }
}
