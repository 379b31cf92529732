import SwitchboardProtocol
import Synchronization
import Testing

@testable import WSEdge

/// Batching of connection events: one batch in flight, the next gathering, each caller answered with its own outcome.
@Suite struct ConnectionEventBatcherTests {
    /// A scheduler stand-in that records each batch and holds the first one until released.
    final class Scheduler: Sendable {
        let batches = Mutex<[[String]]>([])
        let singles = Mutex<[String]>([])
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let holdFirst: Bool
        let knowsBatches: Bool

        init(holdFirst: Bool = false, knowsBatches: Bool = true) {
            self.holdFirst = holdFirst
            self.knowsBatches = knowsBatches
        }

        func batch(_ batch: ConnectionEventBatch) async throws(RPCError) -> ConnectionEventOutcomes {
            guard knowsBatches else { throw RPCError(code: RPCError.unknownMethodCode, message: "unknown method") }
            let first = batches.withLock { batches in
                batches.append(batch.events.map(\.connection))
                return batches.count == 1
            }
            if first && holdFirst { await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } } }
            return ConnectionEventOutcomes(
                outcomes: batch.events.map { event in
                    event.connection.hasPrefix("bad")
                        ? .init(error: .badRequest("no \(event.connection)")) : .init(reply: ClientCommandReply(frames: ["for \(event.connection)"]))
                })
        }

        func single(_ request: ClientCommandRequest) async throws(RPCError) -> ClientCommandReply {
            singles.withLock { $0.append(request.connection) }
            return ClientCommandReply(frames: ["one \(request.connection)"])
        }

        func release() -> Bool {
            gate.withLock { gate in
                guard let continuation = gate else { return false }
                gate = nil
                continuation.resume()
                return true
            }
        }

        var batchCount: Int { batches.withLock { $0.count } }
    }

    static func event(_ connection: String) -> ClientCommandRequest {
        ClientCommandRequest(
            edge: "edge-1", connection: connection, principal: nil, ip: "127.0.0.1", endpoint: "main", type: SchedulerConnectionEvent.connected,
            id: nil, frame: "", state: nil)
    }

    static func batcher(_ scheduler: Scheduler) -> ConnectionEventBatcher {
        ConnectionEventBatcher(
            send: { batch throws(RPCError) in try await scheduler.batch(batch) },
            sendOne: { request throws(RPCError) in try await scheduler.single(request) })
    }

    /// Polls `condition` for up to 10 s.
    static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func eventsArrivingDuringABatchGoTogetherInTheNextAndEachCallerGetsItsOwnOutcome() async throws {
        let scheduler = Scheduler(holdFirst: true)
        let batcher = Self.batcher(scheduler)
        let runner = Task { await batcher.run() }
        defer { runner.cancel() }
        do {
            let first = Task { try await batcher.submit(Self.event("c0")) }
            try await Self.eventually { scheduler.batchCount == 1 }
            let later = (1...20).map { number in
                Task { () throws(RPCError) -> ClientCommandReply in try await batcher.submit(Self.event(number == 7 ? "bad7" : "c\(number)")) }
            }
            // All 20 are queued behind the held batch before it is released.
            try await Task.sleep(for: .milliseconds(200))
            #expect(scheduler.release())
            #expect(try await first.value.frames == ["for c0"])
            for (offset, task) in later.enumerated() {
                let number = offset + 1
                if number == 7 {
                    await #expect(throws: RPCError.badRequest("no bad7")) { try await task.value }
                } else {
                    #expect(try await task.value.frames == ["for c\(number)"])
                }
            }
            let batches = scheduler.batches.withLock { $0 }
            #expect(batches.count == 2)
            #expect(batches.last?.count == 20)
        }
    }

    @Test func aSchedulerWithoutTheBatchMethodGetsTheEventsOneByOne() async throws {
        let scheduler = Scheduler(knowsBatches: false)
        let batcher = Self.batcher(scheduler)
        let runner = Task { await batcher.run() }
        defer { runner.cancel() }
        do {
            #expect(try await batcher.submit(Self.event("c1")).frames == ["one c1"])
            #expect(scheduler.singles.withLock { $0 } == ["c1"])
        }
    }

    @Test func afterItStopsEventsFailAtOnceAndWaitingOnesAreNotLeftHanging() async throws {
        let scheduler = Scheduler(holdFirst: true)
        let batcher = Self.batcher(scheduler)
        let runner = Task { await batcher.run() }
        let first = Task { try await batcher.submit(Self.event("c0")) }
        try await Self.eventually { scheduler.batchCount == 1 }
        let queued = Task { try await batcher.submit(Self.event("c1")) }
        try await Task.sleep(for: .milliseconds(100))
        runner.cancel()
        #expect(scheduler.release())
        #expect(try await first.value.frames == ["for c0"])
        await runner.value
        await #expect(throws: RPCError.self) { try await queued.value }
        await #expect(throws: RPCError.self) { try await batcher.submit(Self.event("c2")) }
    }
}
