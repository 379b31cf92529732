import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import WSEdge

/// The per-connection FIFO both transports share, on a real event loop (its calls resume there from a task).
@Suite struct SerialCallsTests {
    /// What the calls and writes did, in order, shared with the calls' tasks.
    final class Trace: Sendable {
        let events = Mutex<[String]>([])
        func add(_ event: String) { events.withLock { $0.append(event) } }
        var all: [String] { events.withLock { $0 } }
    }

    /// One owner of a `SerialCalls` on `loop`, as a transport uses it.
    final class Owner: Sendable {
        let loop: any EventLoop
        let calls: NIOLoopBound<SerialCalls>
        let trace: Trace

        init(loop: any EventLoop, trace: Trace) {
            self.loop = loop
            self.trace = trace
            calls = NIOLoopBound(SerialCalls(), eventLoop: loop)
        }

        func pump() {
            let trace = trace
            calls.value.pump(write: { trace.add(String(buffer: $0)) }, eventLoop: loop) { [self] in
                calls.value.finished()
                pump()
            }
        }

        func answer(_ text: String) {
            let trace = trace
            calls.value.answer(ByteBuffer(string: text)) { trace.add(String(buffer: $0)) }
        }

        func call(_ name: String, keepAfterClose: Bool = false, gate: AsyncStream<Void>? = nil) {
            let trace = trace
            calls.value.append(
                .call(
                    {
                        if let gate { for await _ in gate { break } }
                        trace.add(name)
                    }, keepAfterClose: keepAfterClose))
            pump()
        }
    }

    static func waitFor(_ trace: Trace, count: Int) async throws {
        let end = ContinuousClock.now + .seconds(10)
        while trace.all.count < count, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func answersKeepTheirPlaceBehindARunningCall() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let trace = Trace()
        let owner = try await loop.submit { Owner(loop: loop, trace: trace) }.get()
        let (gate, open) = AsyncStream<Void>.makeStream()
        try await loop.submit {
            owner.answer("first")
            owner.call("slow call", gate: gate)
            owner.answer("after the call")
            owner.call("second call")
        }.get()
        #expect(trace.all == ["first"])
        #expect(try await loop.submit { owner.calls.value.waiting }.get() == 2)
        open.yield()
        try await Self.waitFor(trace, count: 4)
        #expect(trace.all == ["first", "slow call", "after the call", "second call"])
        #expect(try await loop.submit { owner.calls.value.isIdle }.get())
        try await group.shutdownGracefully()
    }

    @Test func aClosedClientsMessagesAreDroppedButItsDisconnectWorkRuns() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let trace = Trace()
        let owner = try await loop.submit { Owner(loop: loop, trace: trace) }.get()
        let (gate, open) = AsyncStream<Void>.makeStream()
        try await loop.submit {
            owner.call("connect", keepAfterClose: true, gate: gate)
            owner.call("a message")
            owner.answer("an answer")
            owner.call("disconnect", keepAfterClose: true)
            owner.calls.value.dropClientCalls()
        }.get()
        open.yield()
        try await Self.waitFor(trace, count: 3)
        try await Task.sleep(for: .milliseconds(50))
        #expect(trace.all == ["connect", "an answer", "disconnect"])
        try await group.shutdownGracefully()
    }
}
