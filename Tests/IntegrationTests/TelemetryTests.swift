import Foundation
import Redis
import TestSupport
import Testing

/// Telemetry subscriptions, control and alarms through the real edge and scheduler, against a real Redis.
@Suite("Telemetry, control and alarms", .serialized, .timeLimit(.minutes(3)))
struct TelemetryTests {
    static func seed(_ cluster: Cluster, channels: [Int], types: [String] = ["T", "S"], points: Int = 3) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        var commands: [[String]] = []
        for channel in channels {
            for type in types {
                var command = ["HSET", "comsrv:\(channel):\(type)"]
                for point in 1...points { command += [String(point), type == "S" ? String(point % 2) : "\(point).5"] }
                command += ["_meta", "skipped", "label", "on"]
                commands.append(command)
            }
        }
        _ = try await redis.pipeline(commands)
    }

    static func redis(_ cluster: Cluster) throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
    }

    static func subscribe(_ socket: TestWebSocket, id: String, channels: [Any], types: [String] = ["T", "S"], interval: Int = 200) throws {
        try socket.send(json: ["type": "subscribe", "id": id, "data": ["channels": channels, "data_types": types, "interval": interval]])
    }

    @Test func subscribeAcksThenSendsABatchAtOnceAndOneEachInterval() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.seed(cluster, channels: [1001, 1002])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")

        try Self.subscribe(socket, id: "sub_001", channels: [1001, 1002, 9999, -5, "abc"], interval: 200)
        let ack = try #require(await socket.next(type: "subscribe_ack"))
        #expect(ack["id"] as? String == "sub_001_ack")
        let ackData = try #require(ack["data"] as? [String: Any])
        #expect(ackData["request_id"] as? String == "sub_001")
        #expect(ackData["subscribed"] as? [Int] == [1001, 1002])
        #expect((ackData["failed"] as? [Any])?.count == 3)
        #expect(ackData["total"] as? Int == 2)

        let first = try #require(await socket.next(type: "data_batch", timeout: .seconds(1)))
        let updates = try #require((first["data"] as? [String: Any])?["updates"] as? [[String: Any]])
        #expect(updates.count == 4)
        let t1001 = try #require(updates.first { $0["channel_id"] as? Int == 1001 && $0["data_type"] as? String == "T" })
        let values = try #require(t1001["values"] as? [String: Any])
        #expect(values["1"] as? Double == 1.5)
        #expect(values["label"] as? String == "on")
        #expect(values["_meta"] == nil)
        let s1001 = try #require(updates.first { $0["channel_id"] as? Int == 1001 && $0["data_type"] as? String == "S" })
        #expect((s1001["values"] as? [String: Any])?["1"] as? Int == 1)

        // Batches are due at aligned multiples of the interval, at most one per due time (a late tick is skipped, never
        // doubled). So over many gaps the mean gap cannot fall below the interval by more than the first arrival's delay
        // spread over them, nor rise far above it unless ticks are being lost; arrival jitter on a loaded machine only
        // moves single gaps, which is why no single gap (nor their median) is judged.
        let interval = 200.0
        let gapCount = 10
        var arrivals: [ContinuousClock.Instant] = []
        for _ in 0...gapCount {
            _ = try #require(await socket.next(type: "data_batch", timeout: .seconds(2)))
            arrivals.append(.now)
        }
        let meanGap = (arrivals[gapCount] - arrivals[0]).seconds * 1000 / Double(gapCount)
        let gaps = zip(arrivals.dropFirst(), arrivals).map { Int((($0 - $1).seconds * 1000).rounded()) }
        #expect(meanGap > interval * 0.75 && meanGap < interval * 2, "mean gap \(meanGap) ms; gaps \(gaps)")
    }

    @Test func membersOfOneGroupGetIdenticalBytesAndUnsubscribeStopsThem() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.seed(cluster, channels: [7, 8])
        let a = try await TestWebSocket.connect(port: cluster.httpPort)
        let b = try await TestWebSocket.connect(port: cluster.httpPort)
        defer {
            Task {
                await a.close()
                await b.close()
            }
        }
        for socket in [a, b] {
            _ = await socket.next(type: "connection_established")
            try Self.subscribe(socket, id: "s", channels: [8, 7], interval: 100)
            _ = await socket.next(type: "subscribe_ack")
        }
        try await Task.sleep(for: .milliseconds(600))
        // Values do not change here, so batches of one second are identical anyway; what matters is that the two
        // members' frames are the same bytes.
        let framesA = a.drain().filter { $0.contains(#""type":"data_batch""#) }
        let framesB = b.drain().filter { $0.contains(#""type":"data_batch""#) }
        #expect(framesA.count >= 3)
        #expect(!Set(framesA).intersection(framesB).isEmpty, "no byte-identical batch between two members")

        a.send(#"{"type":"unsubscribe","id":"u1"}"#)
        let ack = try #require(await a.next(type: "unsubscribe_ack"))
        #expect((ack["data"] as? [String: Any])?["unsubscribed"] as? [Int] == [7, 8])
        try await Task.sleep(for: .milliseconds(300))
        _ = a.drain()
        try await Task.sleep(for: .milliseconds(500))
        #expect(a.drain().filter { $0.contains("data_batch") }.isEmpty)
        #expect(await b.next(type: "data_batch", timeout: .seconds(1)) != nil, "the other member still receives")
    }

    @Test func malformedSubscribesAreErrorsAndTheConnectionStaysUsable() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.seed(cluster, channels: [1])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = await socket.next(type: "connection_established")
        for bad in [
            #"{"type":"subscribe","id":"b1","data":{"channels":[1],"interval":5}}"#,
            #"{"type":"subscribe","id":"b2","data":{"channels":[1],"data_types":["X"]}}"#,
            #"{"type":"subscribe","id":"b3","data":{"channels":"1"}}"#,
            #"{"type":"subscribe","id":"b4"}"#,
            #"{"type":"subscribe","id":"b5","data":{"channels":[]}}"#,
            #"{"type":"control","id":"b6","data":{"channel_id":1}}"#,
        ] {
            socket.send(bad)
            let frame = try #require(await socket.next(timeout: .seconds(3)), "no answer to \(bad)")
            let object = TestTokens.json(frame)
            if object["type"] as? String == "control_ack" {
                #expect((object["data"] as? [String: Any])?["status"] as? String == "rejected")
            } else {
                #expect(object["type"] as? String == "error", "\(bad) → \(frame)")
                #expect((object["data"] as? [String: Any])?["code"] as? String == "INVALID_MESSAGE")
            }
        }
        try Self.subscribe(socket, id: "ok", channels: [1])
        #expect((await socket.next(type: "subscribe_ack")?["data"] as? [String: Any])?["subscribed"] as? [Int] == [1])
    }

    @Test func controlNeedsAnOperatorAndWritesTheCommandForTheFieldSide() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let viewer = try await TestWebSocket.connect(port: cluster.httpPort, token: try await TestTokens.access("vic", roles: ["viewer"]))
        let operatorSocket = try await TestWebSocket.connect(
            port: cluster.httpPort, token: try await TestTokens.access("olga", roles: ["operator"]))
        defer {
            Task {
                await viewer.close()
                await operatorSocket.close()
            }
        }
        let command =
            #"{"type":"control","id":"ctrl_001","data":{"channel_id":2001,"point_id":20,"command_type":"set_value","value":0,"reason":"test"}}"#
        viewer.send(command)
        let refused = try #require(await viewer.next(type: "control_ack"))
        let refusedData = try #require(refused["data"] as? [String: Any])
        #expect(refusedData["status"] as? String == "rejected")
        #expect((refusedData["result"] as? [String: Any])?["success"] as? Bool == false)

        operatorSocket.send(command)
        let ack = try #require(await operatorSocket.next(type: "control_ack"))
        #expect(ack["id"] as? String == "ctrl_001_ack")
        let data = try #require(ack["data"] as? [String: Any])
        #expect(data["request_id"] as? String == "ctrl_001")
        #expect(data["status"] as? String == "executed")
        #expect((data["result"] as? [String: Any])?["success"] as? Bool == true)
        #expect((data["result"] as? [String: Any])?["actual_value"] as? Int == 0)

        let redis = try Self.redis(cluster)
        defer { redis.shutdown() }
        let queued = try #require(try await redis.send(["LRANGE", "comsrv:2001:A:TODO", "0", "-1"]).array)
        #expect(queued.count == 1)
        let entry = TestTokens.json(queued.first?.text)
        #expect(entry["point_id"] as? Int == 20)
        #expect(entry["value"] as? Int == 0)
        #expect(entry["command_id"] as? String == "ctrl_001")
        #expect(entry["operator"] as? String == "olga")
        #expect(entry["timestamp"] as? Int ?? 0 > 1_700_000_000_000)
        #expect(try await redis.send(["LLEN", "comsrv:2001:C:TODO"]).int == 0)
    }

    @Test func alarmsArriveFromRedisPubSubAndFromBroadcast() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let all = try await TestWebSocket.connect(port: cluster.httpPort)
        let some = try await TestWebSocket.connect(port: cluster.httpPort)
        let none = try await TestWebSocket.connect(port: cluster.httpPort)
        defer {
            Task {
                await all.close()
                await some.close()
                await none.close()
            }
        }
        all.send(#"{"type":"subscribe_alarms","id":"a1"}"#)
        some.send(#"{"type":"subscribe_alarms","id":"a2","data":{"channels":[5]}}"#)
        // Every connection gets alarms without asking (SWITCHBOARD_ALARMS_TO_ALL); this one opts out.
        none.send(#"{"type":"unsubscribe_alarms","id":"a3"}"#)
        #expect(await all.next(type: "subscribe_alarms_ack") != nil)
        #expect(await some.next(type: "subscribe_alarms_ack") != nil)
        #expect(await none.next(type: "unsubscribe_alarms_ack") != nil)
        try await Task.sleep(for: .milliseconds(200))

        let redis = try Self.redis(cluster)
        defer { redis.shutdown() }
        _ = try await redis.send(["PUBLISH", "alarm:events", #"{"id":"A1","channel_id":5,"level":"critical","message":"over voltage"}"#])
        let alarm = try #require(await all.next(type: "alarm", timeout: .seconds(3)))
        #expect((alarm["data"] as? [String: Any])?["message"] as? String == "over voltage")
        #expect(await some.next(type: "alarm", timeout: .seconds(3)) != nil)

        _ = try await redis.send(["PUBLISH", "alarm:events", #"{"id":"A2","channel_id":6,"level":"minor","message":"elsewhere"}"#])
        #expect((await all.next(type: "alarm", timeout: .seconds(3))?["data"] as? [String: Any])?["id"] as? String == "A2")
        #expect(await some.next(type: "alarm", timeout: .milliseconds(500)) == nil, "channel-5 subscriber got a channel-6 alarm")

        let admin = try await TestTokens.access("root", roles: ["admin"])
        let body = Data(#"{"type":"alarm","data":{"id":"B1","channel_id":5,"message":"from alarmsrv"}}"#.utf8)
        let viewerAnswer = try await cluster.http(
            "POST", "/api/v1/broadcast", body: body, headers: ["Authorization": "Bearer \(try await TestTokens.access("v"))"])
        #expect(viewerAnswer.status == 403)
        let posted = try await cluster.http("POST", "/api/v1/broadcast", body: body, headers: ["Authorization": "Bearer \(admin)"])
        #expect(posted.status == 200)
        #expect(try posted.json()["success"] as? Bool == true)
        #expect((await some.next(type: "alarm", timeout: .seconds(3))?["data"] as? [String: Any])?["message"] as? String == "from alarmsrv")
        #expect(await none.next(type: "alarm", timeout: .milliseconds(300)) == nil)

        let listed = try await cluster.http("GET", "/api/alarms").json()
        #expect((listed["alarms"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["B1", "A2", "A1"])
    }

    @Test func currentValuesOverHTTP() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.seed(cluster, channels: [42])
        let answer = try await cluster.http("GET", "/api/data/42/T")
        #expect(answer.status == 200)
        let body = try answer.json()
        #expect(body["channel_id"] as? Int == 42)
        #expect((body["values"] as? [String: Any])?["2"] as? Double == 2.5)
        #expect(try await cluster.http("GET", "/api/data/43/T").status == 404)
        #expect(try await cluster.http("GET", "/api/data/42/Q").status == 400)
        #expect(try await cluster.http("GET", "/api/data/x/T").status == 400)
    }

    @Test func dataResumesAfterTheSchedulerIsKilledWithNoClientAction() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.seed(cluster, channels: [11])
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        try Self.subscribe(socket, id: "s", channels: [11], interval: 100)
        _ = try #require(await socket.next(type: "subscribe_ack"))
        _ = try #require(await socket.next(type: "data_batch"))

        cluster.kill9("scheduler")
        try await Task.sleep(for: .milliseconds(300))
        _ = socket.drain()
        try cluster.start("scheduler")
        let restarted = ContinuousClock.now
        let resumed = await socket.next(type: "data_batch", timeout: .seconds(2))
        #expect(resumed != nil, "no data within 2 s of the restart")
        #expect(restarted.duration(to: .now) < .seconds(2))
        #expect(!socket.isClosed)
    }

    @Test func aClientThatStopsReadingIsCutOffWhileOthersKeepTheirPace() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_WS_QUEUE_FRAMES": "32", "SWITCHBOARD_WS_QUEUE_BYTES": "262144"])
        defer { cluster.shutdown() }
        try await Self.seed(cluster, channels: Array(1...40), types: ["T"], points: 100)
        let healthy = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await healthy.close() } }
        try Self.subscribe(healthy, id: "h", channels: Array(1...40), types: ["T"], interval: 100)
        _ = try #require(await healthy.next(type: "subscribe_ack"))

        let stalled = try RawHTTPConnection(port: cluster.httpPort, receiveBuffer: 4096)
        #expect(try stalled.upgrade(path: "/ws").status == 101)
        let subscribe =
            #"{"type":"subscribe","id":"slow","data":{"channels":[\#((1...40).map(String.init).joined(separator: ","))],"data_types":["T"],"interval":100}}"#
        try stalled.write(RawHTTPConnection.maskedFrame(Array(subscribe.utf8)))

        var dropped = false
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            let total = try await cluster.http("GET", "/websocket/status").json()["total_connections"] as? Int
            if total == 1 {
                dropped = true
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(dropped, "the stalled client was never cut off")
        _ = healthy.drain()
        // Keeping its pace: no gap near the 1 s wait below (a client held up by the stalled one waits seconds), and over
        // ten gaps the 100 ms interval on average, give or take the jitter a loaded machine adds to single arrivals.
        let interval = 100.0
        var arrivals: [ContinuousClock.Instant] = []
        for _ in 0...10 {
            _ = try #require(await healthy.next(type: "data_batch", timeout: .seconds(1)))
            arrivals.append(.now)
        }
        let gaps = zip(arrivals.dropFirst(), arrivals).map { Int((($0 - $1).seconds * 1000).rounded()) }
        let meanGap = (arrivals[10] - arrivals[0]).seconds * 1000 / 10
        #expect(meanGap < interval * 2.5, "healthy client's mean gap \(meanGap) ms; gaps \(gaps)")
        let code = RawHTTPConnection.closeCode(in: stalled.readAll(timeout: .seconds(5)))
        #expect(code == nil || code == 1008, "close code \(String(describing: code))")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
