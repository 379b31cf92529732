import Bus
import Foundation
import SwitchboardProtocol
import Testing

@Suite("RPC over DEALER → ROUTER", .timeLimit(.minutes(1)))
struct RPCTests {
    func makeServer(_ endpoint: String) throws -> RPCServer {
        let server = try RPCServer(endpoint: endpoint)
        server.register(Echo.self) { params, _ in
            if params.delayMs > 0 { try await Task.sleep(for: .milliseconds(params.delayMs)) }
            return Echo.Result(doubled: params.value * 2)
        }
        server.register(Fail.self) { _, _ in throw RPCError(code: "nope", message: "always fails") }
        return server
    }

    func connectedClient(_ endpoint: String) async throws -> RPCClient {
        let client = try RPCClient(service: "test", endpoint: endpoint)
        let up = await eventually { client.isConnected }
        try #require(up, "client never connected")
        return client
    }

    @Test func thousandConcurrentRequestsAllGetTheirOwnReply() async throws {
        let endpoint = temporaryEndpoint()
        let server = try makeServer(endpoint)
        let serving = Task { await server.run() }
        defer { server.shutdown(); serving.cancel() }
        let client = try await connectedClient(endpoint)
        defer { client.shutdown() }

        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    try await withThrowingTaskGroup(of: Bool.self) { inner in
                        for index in 0..<125 {
                            let value = worker * 1000 + index
                            inner.addTask { try await client.call(Echo.self, .init(value: value)).doubled == value * 2 }
                        }
                        var wrong = 0
                        for try await ok in inner where !ok { wrong += 1 }
                        return wrong
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test func remoteErrorsAndUnknownMethodsComeBackAsRPCErrors() async throws {
        let endpoint = temporaryEndpoint()
        let server = try makeServer(endpoint)
        let serving = Task { await server.run() }
        defer { server.shutdown(); serving.cancel() }
        let client = try await connectedClient(endpoint)
        defer { client.shutdown() }

        await #expect(throws: RPCError(code: "nope", message: "always fails")) {
            try await client.call(Fail.self, NoParams())
        }
        let unknown = await #expect(throws: RPCError.self) {
            _ = try await client.call(SystemHealth.self, NoParams())
        }
        #expect(unknown?.code == RPCError.unknownMethodCode)
    }

    @Test func deadlineExpiresAndTheLateReplyNeverReachesAnotherCaller() async throws {
        let endpoint = temporaryEndpoint()
        let server = try makeServer(endpoint)
        let serving = Task { await server.run() }
        defer { server.shutdown(); serving.cancel() }
        let client = try await connectedClient(endpoint)
        defer { client.shutdown() }

        let start = ContinuousClock.now
        let serverDelay = Duration.milliseconds(1500)
        let error = await #expect(throws: RPCError.self) {
            try await client.call(Echo.self, .init(value: 1, delayMs: 1500), timeout: .milliseconds(100))
        }
        #expect(error?.code == RPCError.serviceTimeoutCode)
        // The 100 ms deadline ended the wait, not the reply, which comes only after the server's delay.
        #expect(start.duration(to: .now) < serverDelay)
        // The slow reply arrives while the next call waits; the next call must get its own value.
        let next = try await client.call(Echo.self, .init(value: 21, delayMs: 1600))
        #expect(next.doubled == 42)
    }

    @Test func downServiceFailsFastAndRecoversWhenItReturns() async throws {
        let endpoint = temporaryEndpoint()
        let client = try RPCClient(service: "test", endpoint: endpoint)
        defer { client.shutdown() }

        let deadline = Duration.seconds(5)
        let start = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) { try await client.call(Echo.self, .init(value: 1), timeout: deadline) }
        #expect(error?.code == RPCError.serviceUnavailableCode)
        // Fast means the absent peer failed the call, not the deadline: it fails in the caller's task, without even a hop
        // to the socket thread, so well under a fifth of the deadline however loaded the machine is.
        #expect(start.duration(to: .now) < deadline / 5)

        let server = try makeServer(endpoint)
        let serving = Task { await server.run() }
        defer { server.shutdown(); serving.cancel() }
        let recovered = await eventually { (try? await client.call(Echo.self, .init(value: 5)).doubled) == 10 }
        #expect(recovered)
    }

    @Test func requestsInFlightFailFastWhenTheServiceGoesAway() async throws {
        let endpoint = temporaryEndpoint()
        let server = try makeServer(endpoint)
        let serving = Task { await server.run() }
        let client = try await connectedClient(endpoint)
        defer { client.shutdown() }

        let deadline = Duration.seconds(10)
        let start = ContinuousClock.now
        let slow = Task { try await client.call(Echo.self, .init(value: 1, delayMs: 3000), timeout: deadline) }
        try await Task.sleep(for: .milliseconds(100))
        server.shutdown()
        serving.cancel()
        let error = await #expect(throws: RPCError.self) { try await slow.value }
        #expect(error?.code == RPCError.serviceUnavailableCode)
        // The disconnect failed it, not the deadline (nor a reply, which would need 3 s): at least 5x faster than the deadline.
        #expect(start.duration(to: .now) < deadline / 5)
    }
}
