import Foundation
import Redis
import TestSupport
import Testing

/// Two scheduler instances behind one edge: one polls (the lease holder), both answer RPCs, and the other takes over
/// when the holder is killed.
@Suite("Scheduler lease", .serialized, .timeLimit(.minutes(3)))
struct SchedulerLeaseTests {
    /// Starts the edge and backing services with two schedulers, each with its own run dir and endpoints.
    static func start() async throws -> Cluster {
        let base = "/tmp/sblease-\(UUID().uuidString.prefix(8))"
        let endpoints = ["a", "b"].map { name in
            (rpc: "ipc://\(base)-\(name)/scheduler.sock", events: "ipc://\(base)-\(name)/events.sock", ingest: "ipc://\(base)-\(name)/ingest.sock")
        }
        let cluster = try await Cluster.start(
            ["auth", "menu", "signer", "ws-edge"],
            environment: [
                "SWITCHBOARD_SCHEDULER_ENDPOINTS": endpoints.map(\.rpc).joined(separator: ","),
                "SWITCHBOARD_EVENTS_ENDPOINTS": endpoints.map(\.events).joined(separator: ","),
                "SWITCHBOARD_INGEST_ENDPOINTS": endpoints.map(\.ingest).joined(separator: ","),
                "SWITCHBOARD_SCHEDULER_LEASE_TTL_MS": "1000",
                "SWITCHBOARD_SCHEDULER_LEASE_RENEW_MS": "200",
            ])
        do {
            for (name, endpoint) in zip(["a", "b"], endpoints) {
                try FileManager.default.createDirectory(atPath: "\(base)-\(name)", withIntermediateDirectories: true)
                try cluster.start(
                    "scheduler", as: "scheduler-\(name)",
                    environment: [
                        "SWITCHBOARD_RUN_DIR": "\(base)-\(name)", "SWITCHBOARD_SCHEDULER_ENDPOINT": endpoint.rpc,
                        "SWITCHBOARD_EVENTS_ENDPOINT": endpoint.events, "SWITCHBOARD_INGEST_ENDPOINT": endpoint.ingest,
                    ])
            }
            try await cluster.waitForHealth(200, timeout: .seconds(30))
        } catch {
            cluster.shutdown()
            throw error
        }
        return cluster
    }

    /// The instance whose log says it holds the lease now (the last such line wins over a later "lost").
    static func active(_ cluster: Cluster) -> [String] {
        ["scheduler-a", "scheduler-b"].filter { name in
            let log = cluster.log(name)
            guard let gained = log.range(of: "active poller", options: .backwards) else { return false }
            guard let lost = log.range(of: "lost the lease", options: .backwards) else { return true }
            return lost.lowerBound < gained.lowerBound
        }
    }

    @Test func oneInstancePollsAndTheOtherTakesOverAfterKill9() async throws {
        let cluster = try await Self.start()
        defer { cluster.shutdown() }
        try await TelemetryTests.seed(cluster, channels: [501])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")
        try TelemetryTests.subscribe(socket, id: "lease_1", channels: [501], interval: 200)
        _ = try #require(await socket.next(type: "subscribe_ack"))
        _ = try #require(await socket.next(type: "data_batch", timeout: .seconds(3)))

        let holders = Self.active(cluster)
        #expect(holders.count == 1, "exactly one active poller expected, logs say \(holders)")
        let holder = try #require(holders.first)
        let standby = holder == "scheduler-a" ? "scheduler-b" : "scheduler-a"

        // One poller means one batch per 200 ms interval, not two.
        let clock = ContinuousClock()
        let windowStart = clock.now
        var batches = 0
        while clock.now - windowStart < .seconds(2) {
            if await socket.next(type: "data_batch", timeout: .seconds(1)) != nil { batches += 1 }
        }
        #expect(batches >= 5 && batches <= 14, "\(batches) batches in 2 s at a 200 ms interval")

        cluster.kill9(holder)
        let killedAt = clock.now
        // Drain what was already in flight, then time the first batch from the new holder.
        var resumed: Duration?
        while clock.now - killedAt < .seconds(10) {
            guard await socket.next(type: "data_batch", timeout: .seconds(1)) != nil else { continue }
            if Self.active(cluster).contains(standby) {
                resumed = clock.now - killedAt
                break
            }
        }
        let gap = try #require(resumed, "no batch from \(standby) within 10 s:\n\(cluster.log(standby).suffix(2000))")
        print("scheduler lease: data again \(gap) after kill -9 of the active scheduler")
        #expect(gap < .seconds(4), "takeover took \(gap)")

        // The survivor answers RPCs too (control and rooms go to whichever instance is connected).
        let health = try await cluster.waitForHealth(200, timeout: .seconds(10))
        #expect(health.status == 200)
    }

    @Test func aPausedHolderLosesTheLeaseAndDoesNotPollWhenItWakes() async throws {
        let cluster = try await Self.start()
        defer { cluster.shutdown() }
        try await TelemetryTests.seed(cluster, channels: [502])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")
        try TelemetryTests.subscribe(socket, id: "lease_2", channels: [502], interval: 200)
        _ = try #require(await socket.next(type: "subscribe_ack"))
        _ = try #require(await socket.next(type: "data_batch", timeout: .seconds(3)))
        let holder = try #require(Self.active(cluster).first)
        let standby = holder == "scheduler-a" ? "scheduler-b" : "scheduler-a"
        let paused = try #require(cluster.process(holder))

        // SIGSTOP: the holder neither renews nor knows it; the standby must take over once the TTL ran out.
        paused.signal(SIGSTOP)
        let tookOver = await eventuallyTrue(within: .seconds(10)) { Self.active(cluster).contains(standby) }
        paused.signal(SIGCONT)
        #expect(tookOver, "\(standby) never took over from the paused \(holder)")

        // Awake again, the old holder finds its lease stale and stands by: still one batch per interval, not two.
        let lost = await eventuallyTrue(within: .seconds(5)) { cluster.log(holder).contains("lost the lease") }
        #expect(lost, "the woken holder did not notice it lost the lease:\n\(cluster.log(holder).suffix(1500))")
        _ = socket.drain()
        let clock = ContinuousClock()
        let windowStart = clock.now
        var batches = 0
        while clock.now - windowStart < .seconds(2) {
            if await socket.next(type: "data_batch", timeout: .seconds(1)) != nil { batches += 1 }
        }
        #expect(batches >= 5 && batches <= 14, "\(batches) batches in 2 s at a 200 ms interval after the holder woke")
        #expect(Self.active(cluster) == [standby])
    }

    /// Polls `condition` every 100 ms until it holds or `limit` passes.
    func eventuallyTrue(within limit: Duration, _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }
}
