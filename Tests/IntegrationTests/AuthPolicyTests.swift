import Bus
import Foundation
import Redis
import SwitchboardProtocol
import TestSupport
import Testing

/// Connection policy, rate limits and room ACLs, asked of the real auth process over the bus as the edges ask it.
@Suite("Auth policy over RPC", .serialized, .timeLimit(.minutes(3)))
struct AuthPolicyTests {
    /// A cluster with auth (and the edge, for the admin HTTP API) plus an RPC client to auth.
    struct Rig {
        let cluster: Cluster
        let client: RPCClient

        static func start(_ environment: [String: String] = [:]) async throws -> Rig {
            let cluster = try await AuthTestKit.start(AuthTestKit.adminEnvironment.merging(environment) { $1 })
            let client = try RPCClient(service: "auth", endpoint: "ipc://\(cluster.runDirectory)/auth.sock")
            guard await client.waitForConnection(timeout: .seconds(10)) else {
                client.shutdown()
                cluster.shutdown()
                throw HarnessError("no bus connection to auth")
            }
            // Connected is not yet handshaken: wait until an idempotent call gets through before the test's own calls.
            let end = ContinuousClock.now + .seconds(10)
            while (try? await client.call(SystemHealth.self, NoParams(), timeout: .seconds(1))) == nil {
                guard ContinuousClock.now < end else {
                    client.shutdown()
                    cluster.shutdown()
                    throw HarnessError("auth does not answer sys.health over the bus")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return Rig(cluster: cluster, client: client)
        }

        func shutdown() {
            client.shutdown()
            cluster.shutdown()
        }

        func admit(_ ip: String, edge: String = "edge-a") async throws -> PolicyDecision {
            try await client.call(PolicyAdmit.self, .init(edgeID: edge, ip: ip, user: nil))
        }

        func release(_ ip: String, edge: String = "edge-a") async throws {
            _ = try await client.call(PolicyRelease.self, .init(edgeID: edge, ip: ip))
        }

        func rate(_ subject: String, _ kind: String) async throws -> PolicyDecision {
            try await client.call(RateCheck.self, .init(subject: subject, kind: kind))
        }

        func room(_ room: String, _ principal: Principal?) async throws -> PolicyDecision {
            try await client.call(RoomAccess.self, .init(room: room, principal: principal))
        }
    }

    @Test func tenConnectionsPerIPAcrossEdgesThenRefusedUntilOneCloses() async throws {
        let rig = try await Rig.start()
        defer { rig.shutdown() }
        let ip = "203.0.113.7"
        // Releases of connections never admitted do not go below zero.
        for _ in 0..<3 { try await rig.release(ip) }

        for index in 0..<10 {
            #expect(try await rig.admit(ip).allowed, "connection \(index + 1) of 10")
        }
        let eleventh = try await rig.admit(ip)
        #expect(!eleventh.allowed)
        #expect(eleventh.code == "too_many_connections")
        #expect((eleventh.retryAfterSeconds ?? 0) >= 1)
        #expect(try await rig.admit("203.0.113.8").allowed, "other addresses are unaffected")

        try await rig.release(ip)
        #expect(try await rig.admit(ip).allowed, "allowed again after one closed")
        #expect(try await rig.admit(ip).allowed == false)

        // A second edge's connections count toward the same limit.
        let shared = "198.51.100.20"
        for _ in 0..<6 { #expect(try await rig.admit(shared, edge: "edge-a").allowed) }
        for _ in 0..<4 { #expect(try await rig.admit(shared, edge: "edge-b").allowed) }
        #expect(try await rig.admit(shared, edge: "edge-a").allowed == false)
        #expect(try await rig.admit(shared, edge: "edge-b").allowed == false)
        try await rig.release(shared, edge: "edge-b")
        #expect(try await rig.admit(shared, edge: "edge-a").allowed)

        // IPv4 seen through a dual-stack socket is the same address.
        #expect(try await rig.admit("::ffff:203.0.113.7").allowed == false)
    }

    @Test func anEdgesSyncedCountsVanishAfterTheirTTL() async throws {
        let rig = try await Rig.start(["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "5"])
        defer { rig.shutdown() }
        let ip = "192.0.2.44"
        _ = try await rig.client.call(PolicyEdgeSync.self, .init(edgeID: "edge-dead", connectionsByIP: [ip: 5], ttlSeconds: 1))
        let full = try await rig.admit(ip, edge: "edge-live")
        #expect(!full.allowed)
        #expect(full.code == "too_many_connections")

        try await Task.sleep(for: .milliseconds(2200))
        #expect(try await rig.admit(ip, edge: "edge-live").allowed, "the dead edge's counts expired with its lease")

        // A sync is authoritative: it replaces what admissions counted on that edge.
        for _ in 0..<3 { _ = try await rig.admit(ip, edge: "edge-live") }
        _ = try await rig.client.call(PolicyEdgeSync.self, .init(edgeID: "edge-live", connectionsByIP: [ip: 1], ttlSeconds: 30))
        for index in 0..<4 { #expect(try await rig.admit(ip, edge: "edge-live").allowed, "after sync, admission \(index + 1)") }
        #expect(try await rig.admit(ip, edge: "edge-live").allowed == false)
        // An IP absent from the next sync stops counting for that edge.
        _ = try await rig.client.call(PolicyEdgeSync.self, .init(edgeID: "edge-live", connectionsByIP: [:], ttlSeconds: 30))
        #expect(try await rig.admit(ip, edge: "edge-live").allowed)
    }

    @Test func aBlockedIPIsRefusedWithItsReasonUntilUnblocked() async throws {
        let rig = try await Rig.start()
        defer { rig.shutdown() }
        let cluster = rig.cluster
        let admin = try await AuthTestKit.adminToken(cluster)
        try await AuthTestKit.register(cluster, "viewer1", "viewer password")
        let viewer = try #require(try await AuthTestKit.login(cluster, "viewer1", "viewer password")["access_token"] as? String)

        #expect(try await cluster.http("GET", "/admin/blocked-ips").status == 401)
        #expect(try await AuthTestKit.send(cluster, "GET", "/admin/blocked-ips", nil, token: viewer).status == 403)
        #expect(try await AuthTestKit.post(cluster, "/admin/blocked-ips", ["ip": "10.9.9.9"], token: viewer).status == 403)
        for bad in ["10.0.0.256", "not-an-ip", "", "1.2.3", "2001:db8:::1"] {
            let answer = try await AuthTestKit.post(cluster, "/admin/blocked-ips", ["ip": bad, "reason": "x"], token: admin)
            #expect(answer.status == 400, "\(bad) → \(answer.status)")
        }

        let blocked = try await AuthTestKit.post(cluster, "/admin/blocked-ips", ["ip": "192.0.2.66", "reason": "scraping"], token: admin)
        #expect(blocked.status == 201, "\(blocked.text)")
        let v6 = try await AuthTestKit.post(cluster, "/admin/blocked-ips", ["ip": "2001:DB8:0:0::1", "reason": "abuse"], token: admin)
        #expect(try v6.json()["ip"] as? String == "2001:db8::/64", "stored as its /64, in canonical form")

        let refused = try await rig.admit("192.0.2.66")
        #expect(!refused.allowed)
        #expect(refused.code == "ip_blocked")
        #expect(refused.message?.contains("scraping") == true)
        #expect(try await rig.admit("2001:db8::0:1").code == "ip_blocked", "another spelling of a blocked IPv6 address")
        #expect(try await rig.admit("192.0.2.67").allowed)

        let listing = try await AuthTestKit.send(cluster, "GET", "/admin/blocked-ips", nil, token: admin)
        let entries = try #require(try listing.json()["blocked"] as? [[String: Any]])
        #expect(entries.compactMap { $0["ip"] as? String } == ["192.0.2.66", "2001:db8::/64"])
        #expect(entries.first?["reason"] as? String == "scraping")
        #expect((entries.first?["blocked_at"] as? Int ?? 0) > 1_700_000_000)

        #expect(try await AuthTestKit.send(cluster, "DELETE", "/admin/blocked-ips/192.0.2.66", nil, token: viewer).status == 403)
        #expect(try await AuthTestKit.send(cluster, "DELETE", "/admin/blocked-ips/192.0.2.66", nil, token: admin).status == 204)
        #expect(try await AuthTestKit.send(cluster, "DELETE", "/admin/blocked-ips/192.0.2.66", nil, token: admin).status == 404)
        #expect(try await rig.admit("192.0.2.66").allowed, "allowed once unblocked")
    }

    /// The bucket's clock is Redis' `TIME`; instead of sleeping, the test moves the bucket's last-refill stamp (`ts`) into
    /// the past. The refill rate is so small (one token per 100 s) that the real time the test takes adds well under one
    /// token, so every count below follows from the configured rate and burst alone, however loaded the machine is.
    @Test func theMessageBucketRefusesPastItsBurstAndRecovers() async throws {
        let perSecond = 0.01
        let rig = try await Rig.start(["SWITCHBOARD_MESSAGE_RATE": String(perSecond), "SWITCHBOARD_MESSAGE_BURST": "5"])
        defer { rig.shutdown() }
        let redis = RedisClient(configuration: try RedisConfiguration(url: rig.cluster.redis.url))
        defer { redis.shutdown() }
        let started = ContinuousClock.now
        for index in 0..<5 {
            #expect(try await rig.rate("user:olga", "message").allowed, "message \(index + 1) of the burst")
        }
        let refused = try await rig.rate("user:olga", "message")
        #expect(!refused.allowed)
        #expect(refused.code == "rate_limited")
        // One whole token takes 1 / rate = 100 s; what has refilled since the burst began shortens the wait by as much.
        let tokenSeconds = Int(1 / perSecond)
        let spent = Int(started.duration(to: .now).seconds.rounded(.up))
        #expect(((tokenSeconds - spent)...tokenSeconds).contains(refused.retryAfterSeconds ?? 0), "retry after \(refused)")
        #expect(try await rig.rate("user:pete", "message").allowed, "another user's bucket is separate")

        // Two tokens' worth of time passes for the bucket: exactly two more messages, then refused again.
        let key = "rate:message:user:olga"
        let stamp = try #require(try await redis.send("HGET", key, "ts").text.flatMap { Int64($0) })
        _ = try await redis.send("HSET", key, "ts", String(stamp - Int64(2 * tokenSeconds * 1000)))
        #expect(try await rig.rate("user:olga", "message").allowed, "refilled by two tokens")
        #expect(try await rig.rate("user:olga", "message").allowed)
        #expect(try await rig.rate("user:olga", "message").allowed == false)
        #expect(started.duration(to: .now) < .seconds(tokenSeconds / 2), "the test must stay well inside one token's time")

        await #expect(throws: RPCError.self) { try await rig.rate("user:olga", "no-such-kind") }
    }

    @Test func theSixthQuestionWithinAMinuteIsRefused() async throws {
        let rig = try await Rig.start()
        defer { rig.shutdown() }
        for index in 0..<5 {
            #expect(try await rig.rate("user:quinn", "question").allowed, "question \(index + 1)")
        }
        let sixth = try await rig.rate("user:quinn", "question")
        #expect(!sixth.allowed)
        #expect(sixth.code == "rate_limited")
        #expect((1...12).contains(sixth.retryAfterSeconds ?? 0), "one question refills every 12 s: \(sixth)")
    }

    @Test func roomsArePublicUnlessPrivateThenMembersAndAdminsOnly() async throws {
        let rig = try await Rig.start()
        defer { rig.shutdown() }
        let cluster = rig.cluster
        let alice = Principal(user: "alice", roles: ["viewer"])
        let bob = Principal(user: "bob", roles: ["operator"])
        let boss = Principal(user: "boss", roles: ["admin"])
        #expect(try await rig.room("lobby", nil).allowed, "rooms are public by default")
        #expect(try await rig.room("lobby", alice).allowed)

        let admin = try await AuthTestKit.adminToken(cluster)
        try await AuthTestKit.register(cluster, "alice", "alice password")
        let aliceToken = try #require(try await AuthTestKit.login(cluster, "alice", "alice password")["access_token"] as? String)
        let acl = ["private": true, "members": ["alice", "carol"]] as [String: Any]
        #expect(try await AuthTestKit.put(cluster, "/api/auth/rooms/ops/acl", acl, token: aliceToken).status == 403)
        #expect(try await AuthTestKit.put(cluster, "/api/auth/rooms/ops/acl", acl, token: nil).status == 401)
        let bad = ["private": true, "members": ["bad name!"]] as [String: Any]
        #expect(try await AuthTestKit.put(cluster, "/api/auth/rooms/ops/acl", bad, token: admin).status == 400)
        let set = try await AuthTestKit.put(cluster, "/api/auth/rooms/ops/acl", acl, token: admin)
        #expect(set.status == 200, "\(set.text)")

        let shown = try await AuthTestKit.send(cluster, "GET", "/api/auth/rooms/ops/acl", nil, token: admin)
        #expect(try shown.json()["private"] as? Bool == true)
        #expect(try shown.json()["members"] as? [String] == ["alice", "carol"])

        #expect(try await rig.room("ops", alice).allowed, "a member")
        #expect(try await rig.room("ops", boss).allowed, "an admin")
        let outsider = try await rig.room("ops", bob)
        #expect(!outsider.allowed)
        #expect(outsider.code == "forbidden")
        #expect(try await rig.room("ops", nil).allowed == false, "anonymous")

        let reopened = try await AuthTestKit.put(cluster, "/api/auth/rooms/ops/acl", ["private": false], token: admin)
        #expect(reopened.status == 200)
        #expect(try await rig.room("ops", bob).allowed)
    }
}
