import Foundation
import TestSupport
import Testing

/// The bus on `tcp://` (loopback, real processes): CURVE with `switchboard keys` carries the whole system, a client
/// whose key no server knows is refused and logged, and a `tcp://` endpoint without keys does not start unless told.
@Suite struct BusCurveTests {
    /// Every bus endpoint on its own loopback TCP port.
    static func tcpEndpoints() throws -> [String: String] {
        var environment: [String: String] = [:]
        for name in ["AUTH", "SCHEDULER", "MENU", "SIGNER", "EVENTS", "INGEST"] {
            environment["SWITCHBOARD_\(name)_ENDPOINT"] = "tcp://127.0.0.1:\(try FreePort.allocate())"
        }
        return environment
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    @Test func withKeysTheSystemWorksAndAnUnknownClientKeyIsRefused() async throws {
        let cluster = try await Cluster.start([], environment: try Self.tcpEndpoints().merging(RoomKit.environment) { a, _ in a })
        defer { cluster.shutdown() }
        let keys = try await cluster.runToExit("switchboard", arguments: ["keys"])
        #expect(keys.status == 0, "\(keys.output)")
        let keysDir = "\(cluster.runDirectory)/keys"
        #expect(Self.mode(keysDir) == 0o700)
        #expect(Self.mode("\(keysDir)/servers/auth.key") == 0o600)
        #expect(Self.mode("\(keysDir)/clients/ws-edge.key") == 0o600)
        #expect(try String(contentsOfFile: "\(keysDir)/servers/auth.pub", encoding: .utf8).contains("secret=") == false)

        for name in Cluster.backingServices + ["ws-edge"] { try cluster.start(name) }
        try await cluster.waitForHealth(200, timeout: .seconds(30))
        // Events and ingest too: a chat message goes edge → scheduler (RPC) → XPUB → both sockets.
        let alice = try await RoomKit.socket(cluster.httpPort, "alice")
        let bob = try await RoomKit.socket(cluster.httpPort, "bob")
        #expect(await RoomKit.join(alice, "lobby")["type"] as? String == "room_joined")
        #expect(await RoomKit.join(bob, "lobby")["type"] as? String == "room_joined")
        try RoomKit.chat(alice, "lobby", "over curve", id: "c1")
        #expect(RoomKit.contents(await RoomKit.chats(bob, count: 1, timeout: .seconds(10))) == ["over curve"])
        await alice.close()
        await bob.close()

        let known = try await cluster.runToExit("switchboard", arguments: ["probe", "auth"])
        #expect(known.status == 0, "\(known.output)")

        let rogue = "\(cluster.runDirectory)/rogue.key"
        #expect(try await cluster.runToExit("switchboard", arguments: ["keys", "--pair", rogue]).status == 0)
        let refused = try await cluster.runToExit("switchboard", arguments: ["probe", "auth"], environment: ["SWITCHBOARD_BUS_CLIENT_KEY": rogue])
        #expect(refused.status != 0, "\(refused.output)")
        let end = ContinuousClock.now + .seconds(10)
        while !cluster.log("auth").contains("refused unknown CURVE client key"), ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(cluster.log("auth").contains("refused unknown CURVE client key"), "\(cluster.log("auth").suffix(1500))")
        // The refusal is the key's: the system still answers the known one.
        #expect(try await cluster.runToExit("switchboard", arguments: ["probe", "auth"]).status == 0)
    }

    @Test func aTCPEndpointWithoutKeysRefusesToStartUnlessInsecureIsSet() async throws {
        let cluster = try await Cluster.start([], environment: try Self.tcpEndpoints())
        defer { cluster.shutdown() }
        let refused = try await cluster.runToExit("auth", timeout: .seconds(15))
        #expect(refused.status != 0)
        #expect(refused.output.contains("no CURVE keys"), "\(refused.output)")
        #expect(refused.output.contains("SWITCHBOARD_BUS_INSECURE=1"), "\(refused.output)")

        try cluster.start("auth", environment: ["SWITCHBOARD_BUS_INSECURE": "1", "SWITCHBOARD_BUS_INSECURE_WARN_SECONDS": "1"])
        // Once at bind, then again every interval for as long as it runs.
        func repeated() -> Int { cluster.log("auth").components(separatedBy: "SWITCHBOARD_BUS_INSECURE=1: tcp://").count - 1 }
        let end = ContinuousClock.now + .seconds(15)
        while repeated() < 2, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(cluster.log("auth").contains("WITHOUT authentication"), "\(cluster.log("auth").suffix(1500))")
        #expect(repeated() >= 2, "\(cluster.log("auth").suffix(1500))")
        #expect(cluster.process("auth")?.isRunning == true)

        // A service that creates its run dir makes it private: the ipc:// sockets in it are unauthenticated.
        let fresh = "\(cluster.runDirectory)/fresh-run"
        try cluster.start("menu", environment: ["SWITCHBOARD_RUN_DIR": fresh, "SWITCHBOARD_BUS_INSECURE": "1"])
        let created = ContinuousClock.now + .seconds(15)
        while !FileManager.default.fileExists(atPath: "\(fresh)/menu.lock"), ContinuousClock.now < created {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Self.mode(fresh) == 0o700)
    }

    @Test func switchboardUpWithTCPEndpointsCreatesTheKeysAndRunsOnThem() async throws {
        let cluster = try await Cluster.start([], environment: try Self.tcpEndpoints())
        defer { cluster.shutdown() }
        let runDirectory = "\(cluster.runDirectory)/launch"
        let environment = ["SWITCHBOARD_RUN_DIR": runDirectory, "SWITCHBOARD_SIGNER_SIM_PORT": String(try FreePort.allocate())]
        func launcher(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            try await cluster.runToExit("switchboard", arguments: arguments, environment: environment, timeout: .seconds(90))
        }
        do {
            let up = try await launcher(["up", "--detach", "--wait", "60"])
            #expect(up.status == 0, "\(up.output)")
            #expect(up.output.contains("CURVE keys created"), "\(up.output)")
            #expect(Self.mode(runDirectory) == 0o700)
            #expect(Self.mode("\(runDirectory)/keys/servers/scheduler.key") == 0o600)
            #expect(try await cluster.http("GET", "/health").status == 200)
            let authLog = (try? String(contentsOfFile: "\(runDirectory)/logs/auth.log", encoding: .utf8)) ?? ""
            #expect(!authLog.contains("WITHOUT authentication"), "\(authLog.suffix(1500))")
        } catch {
            _ = try? await launcher(["down"])
            throw error
        }
        #expect(try await launcher(["down"]).status == 0)
    }
}
