import Bus
import Foundation
import Redis
import SwitchboardProtocol
import TestSupport
import Testing

/// Opens and closes reach the scheduler in batches (`scheduler.connections`) and still record and delete every
/// session, each connection getting its own reply (the alarm topics of `SWITCHBOARD_ALARMS_TO_ALL`).
@Suite("Connection events in batches", .serialized, .timeLimit(.minutes(2)))
struct ConnectionEventsTests {
    /// The `_count` of the scheduler's RPC handler timer for `method`, read over the bus; 0 when never called.
    static func calls(_ client: RPCClient, _ method: String) async throws -> Double {
        let text = try await client.call(SystemMetrics.self, NoParams(), timeout: .seconds(2)).text
        return text.split(separator: "\n")
            .filter { $0.hasPrefix("switchboard_rpc_server_duration_seconds_count") && $0.contains(#"method="\#(method)""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    @Test func aBurstOfConnectionsIsRecordedAndForgottenThroughBatches() async throws {
        let count = 40
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "100"])
        defer { cluster.shutdown() }
        let scheduler = try RPCClient(service: "scheduler", endpoint: "ipc://\(cluster.runDirectory)/scheduler.sock")
        defer { scheduler.shutdown() }
        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        let token = try await TestTokens.access("burst")

        let sockets = try await withThrowingTaskGroup(of: (TestWebSocket, String).self) { group in
            for _ in 0..<count {
                group.addTask {
                    let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: token, timeout: .seconds(20))
                    let established = await socket.next(type: "connection_established", timeout: .seconds(20))
                    let id = try #require((established?["data"] as? [String: Any])?["connection_id"] as? String)
                    return (socket, id)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { Task { for (socket, _) in sockets { await socket.close() } } }
        #expect(Set(sockets.map(\.1)).count == count)

        // Every session is recorded, by this edge, for this user.
        let recorded = await RoomKit.eventually(timeout: .seconds(10)) {
            var all = true
            for (_, id) in sockets where (try? await redis.send(["HGET", "session:\(id)", "user"]).text) != "burst" { all = false }
            return all
        }
        #expect(recorded, "not every connection's session was recorded")
        let batched = try await Self.calls(scheduler, SchedulerConnectionEvents.name)
        #expect(batched >= 1 && batched <= Double(count))
        #expect(try await Self.calls(scheduler, SchedulerConnectionEvent.name) == 0)

        // Each connection got its own `connected` reply: it is on the alarm topics, so a broadcast alarm reaches all.
        let alarm = #"{"type":"alarm","id":"a1","data":{"alarm_id":"1","channel_id":5,"level":2,"message":"burst"}}"#
        let posted = try await cluster.http("POST", "/api/v1/broadcast", body: Data(alarm.utf8), headers: ["Content-Type": "application/json"])
        #expect(posted.status == 200, "\(posted.text)")
        for (socket, id) in sockets {
            #expect(await socket.next(type: "alarm", timeout: .seconds(10)) != nil, "\(id) got no alarm")
        }

        for (socket, _) in sockets { await socket.close() }
        let forgotten = await RoomKit.eventually(timeout: .seconds(10)) {
            var none = true
            for (_, id) in sockets where (try? await redis.send(["EXISTS", "session:\(id)"]).int) != 0 { none = false }
            return none
        }
        #expect(forgotten, "a closed connection's session is still recorded")
        #expect(try await Self.calls(scheduler, SchedulerConnectionEvent.name) == 0)
    }
}
