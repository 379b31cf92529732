import DequeModule
import NIOCore

/// One connection's commands in arrival order: service calls run one at a time, each in a short task, and a frame
/// answered on the loop (a refusal, `pong`) keeps its place behind the calls before it. Owned by a connection's
/// transport (`WebSocketConnectionHandler`, `SocketIOSession`) and used only on its event loop. A class, so that what
/// `pump` writes may re-enter it (a write that closes the connection drops its calls) while it runs.
final class SerialCalls {
    enum Work {
        /// A frame answered on the loop, held back only to keep its place behind earlier calls.
        case answer(ByteBuffer)
        /// `keepAfterClose`: runs even when the client has gone (connect/disconnect events), unlike its messages.
        case call(@Sendable () async -> Void, keepAfterClose: Bool)
    }

    private var work = Deque<Work>()
    private var running = false

    /// Calls and answers waiting (the one running excluded).
    var waiting: Int { work.count }

    /// Nothing waits and nothing runs: an answer can go out at once.
    var isIdle: Bool { work.isEmpty && !running }

    func append(_ item: Work) { work.append(item) }

    /// A frame answered on the loop: written at once when nothing waits or runs, otherwise queued behind the calls.
    func answer(_ frame: ByteBuffer, write: (ByteBuffer) -> Void) {
        if isIdle { write(frame) } else { work.append(.answer(frame)) }
    }

    /// The client is gone: its messages are dropped, the connect and disconnect work stays.
    func dropClientCalls() {
        work.removeAll { item in
            if case .call(_, false) = item { return true }
            return false
        }
    }

    /// Runs what can run now: answers are written with `write` up to the next call, which starts in a task. When it
    /// is done, `resume` runs on `eventLoop`; the owner calls `finished()` there and pumps again.
    func pump(write: (ByteBuffer) -> Void, eventLoop: any EventLoop, resume: @escaping @Sendable () -> Void) {
        while !running, let item = work.popFirst() {
            switch item {
            case .answer(let frame):
                write(frame)
            case .call(let body, _):
                running = true
                Task {
                    await body()
                    eventLoop.execute(resume)
                }
            }
        }
    }

    /// The running call is done.
    func finished() { running = false }
}
