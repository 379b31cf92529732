import Foundation
import TestSupport
import Testing

/// `/websocket/status` and `/health` with the edge holding no Redis connection: other edges' status comes from the
/// scheduler (`scheduler.edges.*`), Redis health from the services' `sys.health`.
@Suite("Edge status through the scheduler", .serialized, .timeLimit(.minutes(2)))
struct EdgeStatusThroughSchedulerTests {
    /// Polls `path` until `condition` holds; returns the last answer either way.
    func poll(
        _ cluster: Cluster, _ path: String, within limit: Duration, until condition: (Cluster.HTTPAnswer) -> Bool
    ) async throws -> Cluster.HTTPAnswer? {
        let end = ContinuousClock.now + limit
        var last: Cluster.HTTPAnswer?
        while ContinuousClock.now < end {
            if let answer = try? await cluster.http("GET", path, timeout: 3) {
                last = answer
                if condition(answer) { return answer }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func withTheSchedulerDownStatusIsAClear503HealthNamesItAndBothRecoverWhenItReturns() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        #expect(await socket.next(type: "connection_established") != nil)
        let before = try await cluster.http("GET", "/websocket/status")
        #expect(before.status == 200)
        #expect(try before.json()["total_connections"] as? Int == 1)

        cluster.kill9("scheduler")
        let refused = try #require(await poll(cluster, "/websocket/status", within: .seconds(10)) { $0.status == 503 })
        #expect(refused.status == 503, "status answered \(refused.status) \(refused.text) with the scheduler down")
        let body = try refused.json()
        #expect(body["code"] as? String == "service_unavailable")
        #expect((body["message"] as? String)?.contains("scheduler") == true, "message: \(body)")
        let health = try await cluster.waitForHealth(503, timeout: .seconds(5)) { answer in
            ((try? answer.json())?["failing"] as? [String])?.contains("scheduler") == true
        }
        let failing = try health.json()["failing"] as? [String]
        #expect(failing == ["scheduler"], "only the scheduler fails (Redis is still up for the others): \(failing ?? [])")
        // The edge itself stays up: its own frames still work on the open connection.
        socket.send(#"{"type":"ping","id":"p1"}"#)
        #expect(await socket.next(type: "pong") != nil)

        try cluster.start("scheduler")
        try await cluster.waitForHealth(200, timeout: .seconds(10))
        let back = try #require(await poll(cluster, "/websocket/status", within: .seconds(10)) { $0.status == 200 })
        #expect(back.status == 200)
        #expect(try back.json()["total_connections"] as? Int == 1)
        await socket.close()
    }

    @Test func healthReportsRedisFromTheServicesNamesItWhenItGoesAndClearsWhenItReturns() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let green = try await cluster.waitForHealth(200).json()
        let redis = try #require(green["redis"] as? [String: Any])
        #expect(redis["status"] as? String == "up")
        #expect(redis["latency_ms"] as? Double != nil, "the slowest service's Redis latency: \(redis)")

        cluster.redis.kill9()
        let degraded = try await cluster.waitForHealth(503, timeout: .seconds(10)) { answer in
            ((try? answer.json())?["failing"] as? [String])?.contains("redis") == true
        }
        let line = try #require(try degraded.json()["redis"] as? [String: Any])
        #expect(line["status"] as? String == "down")
        #expect((line["error"] as? String)?.contains("unreachable from") == true, "\(line)")

        try await cluster.redis.restart()
        try await cluster.waitForHealth(200, timeout: .seconds(15))
    }

    @Test func everyEdgeShowsEveryEdgeAndAStoppedEdgeLeavesAtOnce() async throws {
        let cluster = try await Cluster.start(
            Cluster.backingServices,
            environment: ["SWITCHBOARD_EDGE_REUSEPORT": "1", "SWITCHBOARD_EDGE_DRAIN_SECONDS": "1"])
        defer { cluster.shutdown() }
        try cluster.start("ws-edge", as: "edge-a")
        try cluster.start("ws-edge", as: "edge-b")
        try await cluster.waitForHealth(200, timeout: .seconds(20))
        let pidA = try #require(cluster.pid("edge-a"))
        let pidB = try #require(cluster.pid("edge-b"))

        // Each edge reports every 5 s; both must show up in whichever edge answers.
        func edgeIDs(_ answer: Cluster.HTTPAnswer) -> Set<String> {
            let edges = (try? answer.json())?["edges"] as? [[String: Any]] ?? []
            return Set(edges.compactMap { $0["edge_id"] as? String })
        }
        let both = try #require(
            await poll(cluster, "/websocket/status", within: .seconds(20)) { answer in
                let ids = edgeIDs(answer)
                return ids.contains { $0.hasSuffix("-\(pidA)") } && ids.contains { $0.hasSuffix("-\(pidB)") }
            })
        #expect(edgeIDs(both).count == 2, "\(both.text)")

        #expect(await cluster.terminate("edge-a", timeout: .seconds(10)) == 0)
        // Without `scheduler.edges.leave` edge-a would linger for 15 s.
        let one = try #require(await poll(cluster, "/websocket/status", within: .seconds(5)) { edgeIDs($0).count == 1 })
        #expect(edgeIDs(one).count == 1 && edgeIDs(one).first?.hasSuffix("-\(pidB)") == true, "\(one.text)")
    }
}
