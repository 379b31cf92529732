import Foundation
import TestSupport
import Testing

/// The whole system, really started: five executables, redis-server, HTTP from outside.
@Suite("Five processes, one health view", .serialized, .timeLimit(.minutes(2)))
struct ProcessHealthAndLifecycleTests {
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

    /// Milliseconds between spawning a process and sending it SIGTERM: before `main` runs, while it loads its
    /// configuration, binds and connects, and about when its service group starts listening on a loaded machine.
    static let stopDelaysMs = [0, 20, 100, 300]

    /// The line each executable logs once it is started (the next step is its service group), per executable.
    static func startedLine(_ name: String) -> String {
        switch name {
        case "ws-edge": "starting on"
        case "signer-sim": "signer-sim on ws://"
        case "answer-worker": "answering from"
        default: " serving "
        }
    }

    static func arguments(_ name: String, _ cluster: Cluster) throws -> [String] {
        switch name {
        case "signer-sim": ["--port", String(try FreePort.allocate()), "--data-dir", "\(cluster.runDirectory)/signer-sim"]
        default: []
        }
    }

    /// SIGTERM at any moment of a process's life ends in a drained exit 0, never in death by the signal (143): the
    /// signal is held from the first instruction until the service group listens (`EarlySignals`), and the harness
    /// starts the process with it blocked so even the dynamic loader's time is covered.
    @Test(arguments: ["auth", "menu", "scheduler", "signer", "ws-edge", "signer-sim", "answer-worker"])
    func everyProcessExitsCleanlyOnSIGTERM(_ name: String) async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        for delay in Self.stopDelaysMs {
            try cluster.start(name, arguments: try Self.arguments(name, cluster))
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            let status = await cluster.terminate(name, timeout: .seconds(20))
            #expect(status == 0, "\(name), SIGTERM \(delay) ms after spawn: status \(String(describing: status))\n\(cluster.log(name).suffix(3000))")
        }
        // And once it is up and running.
        let before = cluster.log(name).components(separatedBy: Self.startedLine(name)).count
        try cluster.start(name, arguments: try Self.arguments(name, cluster))
        let end = ContinuousClock.now + .seconds(30)
        while cluster.log(name).components(separatedBy: Self.startedLine(name)).count == before, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(cluster.process(name)?.isRunning == true, "\(name) died at start:\n\(cluster.log(name).suffix(3000))")
        let status = await cluster.terminate(name, timeout: .seconds(20))
        #expect(status == 0, "\(name) did not exit 0 on SIGTERM once running:\n\(cluster.log(name).suffix(3000))")
    }

    @Test func metricsShowEveryProcessAndNameAServiceThatIsDown() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        _ = await socket.next(type: "connection_established")
        socket.send(#"{"type":"no_such"}"#)
        _ = await socket.next(type: "error")
        for index in 0..<3 { socket.send(#"{"type":"ping","id":"m\#(index)"}"#) }
        for _ in 0..<3 { _ = await socket.next(type: "pong") }
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
        // Frames in by type, counted by atomics and flushed at the scrape: a type outside the catalog is `unknown`.
        #expect(
            text.contains(#"switchboard_ws_frames_in_total{type="ping",service="ws-edge"} 3"#),
            "\(text.split(separator: "\n").filter { $0.contains("frames_in") })")
        #expect(text.contains(#"switchboard_ws_frames_in_total{type="unknown",service="ws-edge"} 1"#))
        // The edge has no Redis connection: Redis is measured by the services' `sys.health` (PING) only.
        #expect(text.contains(#"switchboard_redis_command_duration_seconds_count{command="PING",service="auth"}"#))
        #expect(!text.contains(#"switchboard_redis_command_duration_seconds_count{command="PING",service="ws-edge"}"#))

        cluster.kill9("signer")
        let degraded = try await cluster.http("GET", "/metrics").text
        #expect(degraded.contains(#"switchboard_service_up{service="signer"} 0"#))
        await socket.close()
    }
}
