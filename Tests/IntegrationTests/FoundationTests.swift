import Foundation
import TestSupport
import Testing

/// The whole system, really started: five executables, redis-server, HTTP from outside.
@Suite("Five processes, one health view", .serialized, .timeLimit(.minutes(2)))
struct FoundationTests {
    static let allProcesses = ["ws-edge", "auth", "menu", "scheduler", "signer"]

    @Test func healthIsGreenWithAllFiveAndNamesAKilledServiceUntilItReturns() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }

        let green = try await cluster.waitForHealth(200)
        let body = try green.json()
        #expect(body["status"] as? String == "ok")
        let services = try #require(body["services"] as? [String: [String: Any]])
        #expect(Set(services.keys) == Set(Self.allProcesses))
        for name in Self.allProcesses {
            #expect(services[name]?["status"] as? String == "up", "\(name) is not up: \(services[name] ?? [:])")
            #expect(services[name]?["redis_reachable"] as? Bool == true)
        }
        #expect((body["redis"] as? [String: Any])?["status"] as? String == "up")
        #expect(services["auth"]?["pid"] as? Int == Int(cluster.pid("auth") ?? -1))

        cluster.kill9("menu")
        let killedAt = ContinuousClock.now
        let degraded = try await cluster.waitForHealth(503, timeout: .seconds(2)) { answer in
            ((try? answer.json())?["failing"] as? [String]) == ["menu"]
        }
        #expect(killedAt.duration(to: .now) < .seconds(2))
        let degradedBody = try degraded.json()
        #expect(degradedBody["status"] as? String == "degraded")
        let menuLine = (degradedBody["services"] as? [String: [String: Any]])?["menu"]
        #expect(menuLine?["status"] as? String == "down")
        #expect((menuLine?["error"] as? String)?.contains("menu service unavailable") == true)

        try cluster.start("menu")
        try await cluster.waitForHealth(200, timeout: .seconds(5))
    }

    @Test func aSecondInstanceRefusesToStartAndNamesTheHolder() async throws {
        let cluster = try await Cluster.start(["auth"])
        defer { cluster.shutdown() }
        let firstPID = try #require(cluster.pid("auth"))
        // Wait until the first one holds its lock.
        let lockFile = "\(cluster.runDirectory)/auth.lock"
        let end = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < end, (try? String(contentsOfFile: lockFile, encoding: .utf8))?.contains(String(firstPID)) != true {
            try await Task.sleep(for: .milliseconds(20))
        }
        let second = try await cluster.runToExit("auth", timeout: .seconds(10))
        #expect(second.status != 0)
        #expect(second.output.contains("already running"))
        #expect(second.output.contains("process \(firstPID)"))
        #expect(cluster.process("auth")?.isRunning == true, "the first instance must keep running")
    }

    @Test func aBusyPortIsAClearStartupError() async throws {
        let cluster = try await Cluster.start(["ws-edge"])
        defer { cluster.shutdown() }
        _ = try await cluster.waitForHealth(503, timeout: .seconds(10))
        let second = try await cluster.runToExit("ws-edge", timeout: .seconds(10))
        #expect(second.status != 0)
        #expect(second.output.contains("port \(cluster.httpPort) is already in use"))
        #expect(second.output.contains("ws-edge"), "the message names the holder: \(second.output)")
    }

    @Test(arguments: ["auth", "menu", "scheduler", "signer", "ws-edge"])
    func everyProcessExitsCleanlyOnSIGTERM(_ name: String) async throws {
        let cluster = try await Cluster.start([name])
        defer { cluster.shutdown() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(cluster.process(name)?.isRunning == true, "\(name) died at start:\n\(cluster.log(name))")
        let status = await cluster.terminate(name, timeout: .seconds(10))
        #expect(status == 0, "\(name) did not exit 0 on SIGTERM:\n\(cluster.log(name))")
    }

    @Test func metricsShowEveryProcessAndNameAServiceThatIsDown() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        _ = await socket.next(type: "connection_established")
        socket.send(#"{"type":"no_such"}"#)
        _ = await socket.next(type: "error")
        _ = try await cluster.http("GET", "/health")

        let scrape = try await cluster.http("GET", "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"]?.hasPrefix("text/plain") == true)
        let text = scrape.text
        for service in ["auth", "menu", "scheduler", "signer"] {
            #expect(text.contains("switchboard_service_up{service=\"\(service)\"} 1"), "\(service) missing")
            #expect(text.contains(#"switchboard_rpc_server_duration_seconds_count{method="sys.health",service="\#(service)"}"#))
        }
        #expect(text.contains(#"switchboard_ws_connections{service="ws-edge"} 1"#))
        #expect(text.contains(#"switchboard_ws_errors_total{code="UNKNOWN_TYPE",service="ws-edge"} 1"#))
        #expect(text.contains(#"switchboard_redis_command_duration_seconds_count{command="PING",service="ws-edge"}"#))

        cluster.kill9("signer")
        let degraded = try await cluster.http("GET", "/metrics").text
        #expect(degraded.contains(#"switchboard_service_up{service="signer"} 0"#))
        await socket.close()
    }
}
