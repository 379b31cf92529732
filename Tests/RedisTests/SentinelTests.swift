import Foundation
import Redis
import TestSupport
import Testing

/// A master, one replica and three real Sentinels on free ports: the setup the services run behind in production.
struct SentinelSetup {
    let master: RedisServer
    let replica: RedisServer
    let sentinels: [RedisSentinel]
    let name = "testmaster"

    static func start() async throws -> SentinelSetup {
        let master = try await RedisServer.start()
        let replica: RedisServer
        do {
            replica = try await RedisServer.start(extraArguments: ["--replicaof", "127.0.0.1", "\(master.port)"])
        } catch {
            master.stop()
            throw error
        }
        var sentinels: [RedisSentinel] = []
        do {
            for _ in 0..<3 {
                sentinels.append(try await RedisSentinel.start(masterName: "testmaster", masterPort: master.port))
            }
        } catch {
            sentinels.forEach { $0.stop() }
            replica.stop()
            master.stop()
            throw error
        }
        let setup = SentinelSetup(master: master, replica: replica, sentinels: sentinels)
        do {
            try await setup.waitUntilReady()
        } catch {
            setup.stop()
            throw error
        }
        return setup
    }

    /// Every Sentinel knows the replica and the two other Sentinels, so a failover can be agreed on.
    func waitUntilReady() async throws {
        let ready = await eventually(within: .seconds(30), every: .milliseconds(200)) {
            for sentinel in sentinels {
                let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: sentinel.port))
                defer { client.shutdown() }
                guard let reply = try? await client.send("SENTINEL", "master", name), let fields = reply.array else { return false }
                var info: [String: String] = [:]
                for index in stride(from: 0, to: fields.count - 1, by: 2) {
                    if let key = fields[index].text { info[key] = fields[index + 1].text }
                }
                guard info["num-slaves"] == "1", info["num-other-sentinels"] == "2" else { return false }
            }
            return true
        }
        if !ready { throw TimeoutError(description: "sentinels did not see the replica and each other within 30 s") }
        // Sentinel lists a replica before its first sync is done; WAIT only counts it after.
        let direct = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: master.port))
        defer { direct.shutdown() }
        let synced = await eventually(within: .seconds(30), every: .milliseconds(100)) {
            let replies = try? await direct.pipeline([["SET", "sentinel:setup", "1"], ["WAIT", "1", "100"]])
            return replies?.last?.int == 1
        }
        if !synced { throw TimeoutError(description: "the replica did not finish its first sync within 30 s") }
    }

    /// A client configuration that finds the master through the Sentinels and waits for one replica.
    func configuration() -> RedisConfiguration {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: 1)
        configuration.sentinel = SentinelSettings(
            sentinels: sentinels.map { SentinelSettings.Address(host: "127.0.0.1", port: $0.port) }, masterName: name)
        configuration.reconnectBackoff = .milliseconds(50) ... .milliseconds(250)
        configuration.waitReplicas = 1
        configuration.waitTimeout = .milliseconds(1000)
        return configuration
    }

    func stop() {
        sentinels.forEach { $0.stop() }
        replica.stop()
        master.stop()
    }
}

@Suite(.serialized, .timeLimit(.minutes(3))) struct SentinelTests {
    /// The role of the server on `port`, read directly (not through Sentinel).
    func role(_ port: Int) async -> String? {
        let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: port))
        defer { client.shutdown() }
        return try? await client.send("ROLE").array?.first?.text
    }

    @Test func clientAndSubscriberFollowAFailoverAndAcknowledgedWritesSurvive() async throws {
        let setup = try await SentinelSetup.start()
        defer { setup.stop() }
        let client = RedisClient(configuration: setup.configuration())
        defer { client.shutdown() }
        let subscriber = RedisSubscriber(configuration: setup.configuration(), channels: ["sentinel:test"])
        defer { subscriber.shutdown() }
        let inbox = Inbox(subscriber)
        defer { inbox.cancel() }

        // Acknowledged writes: each one reached the replica before sendDurable returned.
        var acknowledged: [Int] = []
        for index in 0..<50 {
            _ = try await client.sendDurable(["RPUSH", "acked", String(index)])
            acknowledged.append(index)
        }
        #expect(await eventually(within: .seconds(5)) { subscriber.isSubscribed })

        let killedAt = ContinuousClock.now
        setup.master.kill9()
        // Writes fail (never hang) until the replica is promoted, then go to it. With the only replica promoted no
        // replica is left to WAIT for, so this write is a plain one (a durable one would rightly fail).
        let recovered = await eventually(within: .seconds(30), every: .milliseconds(50)) {
            (try? await withTimeout(.seconds(5)) { try await client.send("RPUSH", "acked", "50") }) != nil
        }
        await #expect(throws: RedisError.self) { try await client.sendDurable(["RPUSH", "acked", "51"]) }
        let failover = ContinuousClock.now - killedAt
        #expect(recovered, "no write succeeded within 30 s of killing the master")
        #expect(await role(setup.replica.port) == "master")
        let stored = try await client.send("LRANGE", "acked", "0", "-1").array?.compactMap(\.int) ?? []
        #expect(Set(acknowledged).isSubset(of: Set(stored)), "lost acknowledged writes: \(Set(acknowledged).subtracting(stored).sorted())")
        #expect(stored.count >= 50)
        print("sentinel failover: first write on the new master \(failover) after kill -9")

        // The subscriber left the dead master and listens on the new one.
        let heard = await eventually(within: .seconds(15), every: .milliseconds(200)) {
            _ = try? await client.send("PUBLISH", "sentinel:test", "after-failover")
            return inbox.messages.contains { $0.text == "after-failover" }
        }
        #expect(heard, "subscriber did not follow the failover")
    }

    @Test func neverWritesToADemotedMaster() async throws {
        let setup = try await SentinelSetup.start()
        defer { setup.stop() }
        let client = RedisClient(configuration: setup.configuration())
        defer { client.shutdown() }
        _ = try await client.sendDurable(["SET", "before", "1"])
        // A forced failover keeps the old master alive, as a replica of the new one.
        let sentinel = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: setup.sentinels[0].port))
        defer { sentinel.shutdown() }
        _ = try await sentinel.send("SENTINEL", "FAILOVER", setup.name)
        let switched = await eventually(within: .seconds(20), every: .milliseconds(100)) {
            let old = await role(setup.master.port)
            let new = await role(setup.replica.port)
            return old == "slave" && new == "master"
        }
        #expect(switched, "forced failover did not complete")
        let written = await eventually(within: .seconds(15), every: .milliseconds(50)) {
            (try? await withTimeout(.seconds(5)) { try await client.send("SET", "after", "2") }) != nil
        }
        #expect(written)
        let onNewMaster = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: setup.replica.port))
        defer { onNewMaster.shutdown() }
        #expect(try await onNewMaster.send("GET", "after").text == "2")
        #expect(try await onNewMaster.send("GET", "before").text == "1")
    }

    @Test func aMasterDemotedBehindSentinelsBackIsLeftOnReadonly() async throws {
        let setup = try await SentinelSetup.start()
        defer { setup.stop() }
        let client = RedisClient(configuration: setup.configuration())
        defer { client.shutdown() }
        _ = try await client.send("SET", "k", "on-old-master")
        // Swap the roles behind the Sentinels' back: the client's connection stays open to a server that is now a replica.
        let old = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: setup.master.port))
        defer { old.shutdown() }
        let new = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: setup.replica.port))
        defer { new.shutdown() }
        _ = try await new.send("REPLICAOF", "NO", "ONE")
        _ = try await old.send("REPLICAOF", "127.0.0.1", String(setup.replica.port))
        // The first write earns READONLY (never silently lost); the client then drops that server, refuses it again while
        // its ROLE says replica, and writes to the new master once the Sentinels name it.
        var readonlySeen = false
        let written = await eventually(within: .seconds(40), every: .milliseconds(100)) {
            do {
                _ = try await withTimeout(.seconds(5)) { try await client.send("SET", "k", "on-new-master") }
                return true
            } catch RedisError.server(let message) {
                if message.hasPrefix("READONLY") { readonlySeen = true }
                return false
            } catch {
                return false
            }
        }
        #expect(written, "no write reached the new master within 40 s")
        #expect(readonlySeen)
        // Sentinel may kill client connections while it settles the new roles, so read through fresh ones.
        let stored = await eventually(within: .seconds(10), every: .milliseconds(200)) {
            let fresh = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: setup.replica.port))
            defer { fresh.shutdown() }
            let role = try? await fresh.send("ROLE").array?.first?.text
            let value = try? await fresh.send("GET", "k").text
            return role == "master" && value == "on-new-master"
        }
        #expect(stored, "the write is not on the new master")
    }

    @Test func durableWriteWaitsForAReplicaAndFailsWithoutOne() async throws {
        let master = try await RedisServer.start()
        defer { master.stop() }
        var configuration = try RedisConfiguration(url: master.url)
        configuration.waitReplicas = 1
        configuration.waitTimeout = .milliseconds(200)
        let client = RedisClient(configuration: configuration)
        defer { client.shutdown() }
        // No replica: the write happens but is not confirmed, so the caller must not acknowledge it.
        await #expect(throws: RedisError.self) { try await client.sendDurable(["SET", "k", "v"]) }
        #expect(try await client.send("GET", "k").text == "v")

        let replica = try await RedisServer.start(extraArguments: ["--replicaof", "127.0.0.1", "\(master.port)"])
        defer { replica.stop() }
        let synced = await eventually(within: .seconds(15), every: .milliseconds(100)) {
            (try? await client.sendDurable(["SET", "k", "w"])) != nil
        }
        #expect(synced, "durable write never confirmed with a replica attached")
        let direct = RedisClient(configuration: try RedisConfiguration(url: replica.url))
        defer { direct.shutdown() }
        #expect(try await direct.send("GET", "k").text == "w")

        // Without waitReplicas nothing waits, even with no replica.
        let plain = RedisClient(configuration: try RedisConfiguration(url: master.url))
        defer { plain.shutdown() }
        replica.stop()
        _ = try await plain.sendDurable(["SET", "plain", "1"])
    }

    @Test func parsesSentinelListsAndRejectsBadOnes() throws {
        let settings = try SentinelSettings(list: "10.0.0.1:26379, 10.0.0.2 ,[::1]:5000", masterName: "main")
        #expect(settings.sentinels == [.init(host: "10.0.0.1", port: 26379), .init(host: "10.0.0.2", port: 26379), .init(host: "::1", port: 5000)])
        #expect(throws: RedisConfiguration.URLError.self) { try SentinelSettings(list: "", masterName: "main") }
        #expect(throws: RedisConfiguration.URLError.self) { try SentinelSettings(list: "host:99999", masterName: "main") }
        #expect(throws: RedisConfiguration.URLError.self) { try SentinelSettings(list: "host:1", masterName: "bad name\r\n") }
    }
}
