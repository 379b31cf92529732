import Bus
import ServiceLifecycle
import SwitchboardProtocol
import Synchronization

/// Sends the edge's `connected`/`disconnected` events to the scheduler in batches (`scheduler.connections`).
///
/// One batch is in flight at a time and the next gathers meanwhile: a lone event goes at once, and under a burst of
/// upgrades each bus round trip, JSON encode and Redis pipeline carries every event that arrived during the last one.
/// Each caller still gets its own reply (or error). A scheduler that does not know the batch method (an older one,
/// during a rolling restart) gets the events one by one (`scheduler.connection`).
final class ConnectionEventBatcher: Service, Sendable {
    typealias Send = @Sendable (ConnectionEventBatch) async throws(RPCError) -> ConnectionEventOutcomes
    typealias SendOne = @Sendable (ClientCommandRequest) async throws(RPCError) -> ClientCommandReply

    private struct Waiting {
        let request: ClientCommandRequest
        let continuation: CheckedContinuation<Result<ClientCommandReply, RPCError>, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        /// A wake-up is pending or a batch is being sent: a new event needs no further wake-up.
        var busy = false
        var stopped = false
    }

    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let send: Send
    private let sendOne: SendOne

    init(send: @escaping Send, sendOne: @escaping SendOne) {
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.send = send
        self.sendOne = sendOne
    }

    /// Batches for the scheduler behind `client`, each call bounded by `timeout` plus 20 ms per event (a close leaves
    /// its rooms one by one, so a batch of closes at shutdown takes longer than one event).
    convenience init(client: RPCClient, timeout: Duration) {
        self.init(
            send: { batch throws(RPCError) in
                try await client.call(SchedulerConnectionEvents.self, batch, timeout: timeout + .milliseconds(20 * batch.events.count))
            },
            sendOne: { request throws(RPCError) in try await client.call(SchedulerConnectionEvent.self, request, timeout: timeout) })
    }

    /// Queues one event and waits for its outcome. After shutdown it fails at once with `service_unavailable`.
    func submit(_ request: ClientCommandRequest) async throws(RPCError) -> ClientCommandReply {
        let outcome = await withCheckedContinuation { continuation in
            let wakeUp = state.withLock { state -> Bool? in
                guard !state.stopped else { return nil }
                state.waiting.append(Waiting(request: request, continuation: continuation))
                defer { state.busy = true }
                return !state.busy
            }
            switch wakeUp {
            case nil: continuation.resume(returning: .failure(Self.stopped))
            case true?: wake.yield()
            case false?: break
            }
        }
        return try outcome.get()
    }

    /// Sends batches until graceful shutdown (after the server has drained, since it is listed before the server)
    /// or cancellation; events still waiting then fail.
    func run() async {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                while !Task.isCancelled, case let batch = take(), !batch.isEmpty {
                    await deliver(batch)
                }
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
        let left = state.withLock { state in
            state.stopped = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiting in left { waiting.continuation.resume(returning: .failure(Self.stopped)) }
    }

    private func take() -> [Waiting] {
        state.withLock { state in
            let count = min(state.waiting.count, SchedulerConnectionEvents.maxEvents)
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            if batch.isEmpty { state.busy = false }
            return batch
        }
    }

    private func deliver(_ batch: [Waiting]) async {
        do {
            let result = try await send(ConnectionEventBatch(events: batch.map(\.request)))
            for (index, waiting) in batch.enumerated() {
                let outcome = index < result.outcomes.count ? result.outcomes[index] : nil
                if let reply = outcome?.reply {
                    waiting.continuation.resume(returning: .success(reply))
                } else {
                    let error = outcome?.error ?? RPCError(code: RPCError.internalCode, message: "the scheduler sent no outcome for this event")
                    waiting.continuation.resume(returning: .failure(error))
                }
            }
        } catch  where error.code == RPCError.unknownMethodCode {
            for waiting in batch {
                do throws(RPCError) {
                    waiting.continuation.resume(returning: .success(try await sendOne(waiting.request)))
                } catch {
                    waiting.continuation.resume(returning: .failure(error))
                }
            }
        } catch {
            for waiting in batch { waiting.continuation.resume(returning: .failure(error)) }
        }
    }

    private static let stopped = RPCError(code: RPCError.serviceUnavailableCode, message: "the edge is shutting down")
}
