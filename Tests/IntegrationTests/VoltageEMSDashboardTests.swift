import Foundation
import Redis
import TestSupport
import Testing

/// What the real VoltageEMS clients send, replayed on the wire against the real processes: the Vue dashboard
/// (`github:EvanL1/VoltageEMS` at 30834f3, `apps/src/utils/websocket.ts` and the pages that subscribe through it) and
/// alarmsrv (`services/alarmsrv/app/services/alarm_monitor.py`). Each frame names the file it follows.
@Suite("VoltageEMS dashboard and alarmsrv, unchanged", .serialized, .timeLimit(.minutes(3)))
struct VoltageEMSDashboardTests {
    /// `generateMessageId()` in websocket.ts: `${Date.now()}-${Math.random().toString(36).substring(2, 15)}`.
    static func messageID() -> String {
        let letters = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return "\(Int64(Date().timeIntervalSince1970 * 1000))-\(String((0..<11).map { _ in letters.randomElement() ?? "a" }))"
    }

    /// `sendMessage()` in websocket.ts stamps every frame with `new Date().toISOString()`.
    static func isoNow() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// `sendSubscribeMessage()` in websocket.ts, for inst/comsrv (key order as the object literal writes it).
    static func subscribe(_ id: String, channels: [Int], types: [String], interval: Int, source: String) -> String {
        let list = channels.map(String.init).joined(separator: ",")
        let typeList = types.map { "\"\($0)\"" }.joined(separator: ",")
        return
            #"{"id":"\#(id)","type":"subscribe","timestamp":"\#(isoNow())","data":{"channels":[\#(list)],"data_types":[\#(typeList)],"interval":\#(interval),"source":"\#(source)"}}"#
    }

    /// `sendSubscribeMessage()` in websocket.ts for `source === 'rule'`: rule ids in `channels`, no `data_types`.
    static func subscribeRule(_ id: String, rule: Int, interval: Int) -> String {
        #"{"id":"\#(id)","type":"subscribe","timestamp":"\#(isoNow())","data":{"source":"rule","channels":[\#(rule)],"interval":\#(interval)}}"#
    }

    /// `sendUnsubscribeMessage()` in websocket.ts: inst/comsrv send `{channels, source}`, rule `{source, channels}`.
    static func unsubscribe(_ id: String, channels: [Int], source: String) -> String {
        let list = channels.map(String.init).joined(separator: ",")
        if source == "rule" {
            return #"{"id":"\#(id)","type":"unsubscribe","timestamp":"\#(isoNow())","data":{"source":"rule","channels":[\#(list)]}}"#
        }
        return #"{"id":"\#(id)","type":"unsubscribe","timestamp":"\#(isoNow())","data":{"channels":[\#(list)],"source":"\#(source)"}}"#
    }

    /// What the field side keeps in Redis: comsrv's `comsrv:{channel}:{T|S|C|A}` hashes, modsrv's `inst:{id}:{A|M|P}`, and
    /// the rule engine's `rule:{id}:exec` (`libs/voltage-rules/src/scheduler.rs`).
    static func seedPlant(_ cluster: Cluster) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        _ = try await redis.pipeline([
            ["HSET", "comsrv:2:T", "1", "380.25", "3", "-12.5", "4", "87", "5", "0"],
            ["HSET", "inst:1:M", "1", "51.2", "2", "1", "3", "76.5", "4", "99"],
            ["HSET", "inst:1:A", "1", "0"],
            [
                "HSET", "rule:7:exec", "timestamp", "1736755800", "success", "true", "error", "",
                "execution_path", #"["start","switch-soc","action-high","end"]"#, "variable_values", #"{"X1":49.5}"#,
                "node_details", #"{"switch-soc":{"node_type":"switch","input_values":{"X1":49.5}}}"#,
            ],
        ])
    }

    static func data(_ frame: [String: Any]?) -> [String: Any] { frame?["data"] as? [String: Any] ?? [:] }

    /// What `handleBatchDataUpdate()` in websocket.ts hands to each page's listener.
    enum Batch {
        case updates([[String: Any]])
        case rule(Int, [String: Any])
    }

    static func batches(_ frames: [String]) -> [Batch] {
        frames.compactMap { text in
            let object = TestTokens.json(text)
            guard object["type"] as? String == "data_batch" else { return nil }
            let data = Self.data(object)
            if let rule = data["rule_id"] as? Int { return .rule(rule, data) }
            return (data["updates"] as? [[String: Any]]).map { .updates($0) }
        }
    }

    @Test func onePageSocketHoldsComsrvInstAndRuleSubscriptionsAtOnceWithNumericValues() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        try await Self.seedPlant(cluster)
        // websocket.ts: `new WebSocket('/ws')`, no token.
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = try #require(await socket.next(type: "connection_established"))

        // HomeView/index.vue: comsrv channel 2, T, every 100 ms.
        let home = Self.messageID()
        socket.send(Self.subscribe(home, channels: [2], types: ["T"], interval: 100, source: "comsrv"))
        let homeAck = Self.data(await socket.next(type: "subscribe_ack"))
        #expect(homeAck["request_id"] as? String == home)
        #expect(homeAck["subscribed"] as? [Int] == [2])
        // Devices/DeviceBattery/BatteryOverview.vue: inst instance 1, A/M/P, every second.
        let battery = Self.messageID()
        socket.send(Self.subscribe(battery, channels: [1], types: ["A", "M", "P"], interval: 1000, source: "inst"))
        let batteryAck = Self.data(await socket.next(type: "subscribe_ack"))
        #expect(batteryAck["request_id"] as? String == battery)
        #expect(batteryAck["subscribed"] as? [Int] == [1], "\(batteryAck)")
        // Setting/Configuration/RuleConfiguration/RuleChainEditorView.vue: the chain's rule id, every second.
        let chain = Self.messageID()
        socket.send(Self.subscribeRule(chain, rule: 7, interval: 1000))
        let chainAck = Self.data(await socket.next(type: "subscribe_ack"))
        #expect(chainAck["request_id"] as? String == chain)
        #expect(chainAck["subscribed"] as? [Int] == [7])
        #expect((chainAck["failed"] as? [Any])?.isEmpty == true)

        try await Task.sleep(for: .milliseconds(2300))
        let batches = Self.batches(socket.drain())
        var comsrv = 0
        var inst = 0
        var rules = 0
        for batch in batches {
            switch batch {
            case .updates(let updates):
                for update in updates {
                    let values = update["values"] as? [String: Any] ?? [:]
                    switch (update["source"] as? String, update["channel_id"] as? Int, update["data_type"] as? String) {
                    case ("comsrv", 2, "T"):
                        comsrv += 1
                        // HomeView reads `channel2TData['3'].toFixed(1)`: a number, not a string.
                        #expect(values["3"] as? Double == -12.5 && !(values["3"] is String), "\(values)")
                        #expect(values["4"] as? Int == 87)
                        #expect(values["5"] as? Int == 0)
                    case ("inst", 1, "M"):
                        inst += 1
                        // BatteryOverview reads `values[item.pointId]` of the M update.
                        #expect(values["3"] as? Double == 76.5 && !(values["3"] is String), "\(values)")
                    case ("inst", 1, "A"):
                        #expect(values["1"] as? Int == 0)
                    default:
                        Issue.record("an update nobody asked for: \(update)")
                    }
                }
            case .rule(let rule, let data):
                rules += 1
                #expect(rule == 7)
                // RuleChainEditorView's applyRuntimeUpdate: `data.rule_id && Array.isArray(data.execution_path)`, ids and variables.
                let path = data["execution_path"] as? [[String: Any]] ?? []
                #expect(path.compactMap { $0["id"] as? String } == ["start", "switch-soc", "action-high", "end"])
                #expect((path.first { $0["id"] as? String == "switch-soc" }?["variables"] as? [String: Any])?["X1"] as? Double == 49.5)
            }
        }
        print("dashboard socket, 2.3 s: \(comsrv) comsrv (100 ms), \(inst) inst (1 s), \(rules) rule (1 s) batches")
        #expect(comsrv >= 8, "comsrv batches at 100 ms: \(comsrv)")
        #expect(inst >= 2, "inst batches at 1 s: \(inst)")
        #expect(rules >= 2, "rule batches at 1 s: \(rules)")

        // Leaving the battery page: useWebSocket's onUnmounted → unsubscribe `{channels:[1], source:'inst'}`.
        socket.send(Self.unsubscribe(Self.messageID(), channels: [1], source: "inst"))
        let left = Self.data(await socket.next(type: "unsubscribe_ack"))
        #expect(left["unsubscribed"] as? [Int] == [1])
        // handleUnsubscribeAck() warns about every id in `failed`.
        #expect((left["failed"] as? [Any])?.isEmpty == true, "\(left)")
        try await Task.sleep(for: .milliseconds(300))
        _ = socket.drain()
        try await Task.sleep(for: .milliseconds(1500))
        var after = (comsrv: 0, inst: 0, rules: 0)
        for batch in Self.batches(socket.drain()) {
            switch batch {
            case .updates(let updates):
                after.comsrv += updates.filter { $0["source"] as? String == "comsrv" }.count
                after.inst += updates.filter { $0["source"] as? String == "inst" }.count
            case .rule: after.rules += 1
            }
        }
        #expect(after.inst == 0, "inst batches after its unsubscribe")
        #expect(after.comsrv >= 5 && after.rules >= 1, "the other pages keep theirs: \(after)")

        // Leaving the rule editor: `{source:'rule', channels:[7]}`.
        socket.send(Self.unsubscribe(Self.messageID(), channels: [7], source: "rule"))
        #expect(Self.data(await socket.next(type: "unsubscribe_ack"))["unsubscribed"] as? [Int] == [7])
    }

    /// websocket.ts `startHeartbeat()`: a `ping` every `heartbeatInterval` (5 s), and the socket is closed for reconnect
    /// when no `pong` arrives within `heartbeatTimeout` (3 s). Same frames on a 400 ms schedule.
    @Test func pingsOnTheDashboardsScheduleAreAnsweredWellWithinItsTimeout() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        defer { Task { await socket.close() } }
        _ = try #require(await socket.next(type: "connection_established"))
        var slowest = Duration.zero
        for _ in 0..<6 {
            // `sendPing()`: `{id, type:'ping', timestamp:''}` stamped by sendMessage; no data.
            let sent = ContinuousClock.now
            socket.send(#"{"id":"\#(Self.messageID())","type":"ping","timestamp":"\#(Self.isoNow())"}"#)
            let pong = try #require(await socket.next(type: "pong", timeout: .seconds(3)), "no pong within the dashboard's 3 s")
            slowest = max(slowest, ContinuousClock.now - sent)
            // `handlePong()` reads `data.latency`.
            #expect(Self.data(pong)["latency"] is NSNumber, "\(pong)")
            try await Task.sleep(for: .milliseconds(400))
        }
        print("dashboard pings: slowest pong \(slowest)")
        #expect(slowest < .seconds(3))
        #expect(!socket.isClosed)
    }

    /// `sendControlCommand()` in websocket.ts; comsrv's `trigger.rs` BLPOPs `comsrv:{channel}:C:TODO` and
    /// `comsrv:{channel}:A:TODO` and parses `{point_id: u32, value: f64, timestamp: i64 ms}` first.
    @Test func controlIsWrittenWhereComsrvReadsItValueZeroIncluded() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort, token: try await TestTokens.access("eng", roles: ["operator"]))
        defer { Task { await socket.close() } }
        _ = try #require(await socket.next(type: "connection_established"))
        func control(_ id: String, channel: Int, point: Int, type: String, value: String) -> String {
            #"{"id":"\#(id)","type":"control","timestamp":"\#(Self.isoNow())","data":{"channel_id":\#(channel),"point_id":\#(point),"command_type":"\#(type)","value":\#(value),"operator":"system"}}"#
        }
        let zero = Self.messageID()
        socket.send(control(zero, channel: 2001, point: 20, type: "set_value", value: "0"))
        let ack = Self.data(await socket.next(type: "control_ack"))
        #expect(ack["request_id"] as? String == zero)
        #expect(ack["status"] as? String == "executed")
        let result = ack["result"] as? [String: Any] ?? [:]
        #expect(result["success"] as? Bool == true)
        #expect((result["message"] as? String)?.isEmpty == false, "the dashboard shows result.message: \(result)")
        let execute = Self.messageID()
        socket.send(control(execute, channel: 2001, point: 3, type: "execute", value: "1"))
        #expect(Self.data(await socket.next(type: "control_ack"))["status"] as? String == "executed")

        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        // What comsrv's list loop would pop next, parsed as its CompactTrigger.
        func pop(_ key: String) async throws -> [String: Any] {
            TestTokens.json(try await redis.send(["LPOP", key]).text)
        }
        let adjustment = try await pop("comsrv:2001:A:TODO")
        #expect(adjustment["point_id"] as? Int == 20)
        #expect(adjustment["value"] as? Int == 0)
        #expect((adjustment["timestamp"] as? Int ?? 0) > 1_700_000_000_000, "milliseconds: \(adjustment)")
        let switching = try await pop("comsrv:2001:C:TODO")
        #expect(switching["point_id"] as? Int == 3)
        #expect(switching["value"] as? Int == 1)
        #expect(try await redis.send(["LLEN", "comsrv:2001:A:TODO"]).int == 0)

        // A failed command: the dashboard shows `控制命令执行失败: ${data.result.message}`.
        socket.send(
            #"{"id":"\#(Self.messageID())","type":"control","timestamp":"","data":{"channel_id":2001,"point_id":20,"command_type":"set_value","operator":"system"}}"#
        )
        let failed = Self.data(await socket.next(type: "control_ack"))
        #expect((failed["result"] as? [String: Any])?["success"] as? Bool == false)
        #expect(((failed["result"] as? [String: Any])?["message"] as? String)?.contains("value") == true, "\(failed)")
    }

    /// alarm_monitor.py `_send_alarm_broadcast()` and `_send_alarm_count_broadcast()`: `requests.post(url, json=…)` to
    /// `http://localhost:6005/api/v1/broadcast` with no token, counting only a 200 as sent. Python's json.dumps writes
    /// `", "` and `": "` and escapes non-ASCII; the dashboard never sends `subscribe_alarms`.
    @Test func alarmsFromAnUnauthenticatedBroadcastReachASocketThatNeverAsked() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let dashboard = try await TestWebSocket.connect(port: cluster.httpPort)
        let narrowed = try await TestWebSocket.connect(port: cluster.httpPort)
        defer {
            Task {
                await dashboard.close()
                await narrowed.close()
            }
        }
        _ = try #require(await dashboard.next(type: "connection_established"))
        _ = try #require(await narrowed.next(type: "connection_established"))
        narrowed.send(#"{"type":"subscribe_alarms","id":"n1","data":{"channels":[9]}}"#)
        _ = try #require(await narrowed.next(type: "subscribe_alarms_ack"))

        let alarmData =
            #"{"alarm_id": "7", "service_type": "comsrv", "source": "comsrv", "device": "5", "channel_id": 5, "data_type": "T", "point_id": 3, "status": 1, "level": 2, "value": 9.0, "message": "SOC\u4f4e: 9.0 < 10.0"}"#
        let alarm = #"{"type": "alarm", "id": "alarm_007", "timestamp": 1736755800, "data": \#(alarmData)}"#
        let posted = try await cluster.http("POST", "/api/v1/broadcast", body: Data(alarm.utf8), headers: ["Content-Type": "application/json"])
        #expect(posted.status == 200, "\(posted.text)")
        #expect(try posted.json()["success"] as? Bool == true)

        let frame = try #require(await dashboard.next(timeout: .seconds(3)), "the dashboard socket got nothing")
        #expect(TestTokens.json(frame)["type"] as? String == "alarm", "\(frame)")
        #expect(TestTokens.json(frame)["id"] as? String == "alarm_007")
        #expect(frame.contains(#""data":\#(alarmData)"#), "data not forwarded unchanged: \(frame)")
        #expect(await narrowed.next(type: "alarm", timeout: .milliseconds(500)) == nil, "a channel-9 subscriber got a channel-5 alarm")

        let count =
            #"{"type": "alarm_num", "id": "alarm_num_1736755800", "timestamp": 1736755800, "data": {"current_alarms": 1, "1": 0, "2": 1, "3": 0, "update_time": 1736755800, "server_id": "alarmsrv"}}"#
        let counted = try await cluster.http("POST", "/api/v1/broadcast", body: Data(count.utf8), headers: ["Content-Type": "application/json"])
        #expect(counted.status == 200, "\(counted.text)")
        for socket in [dashboard, narrowed] {
            // websocket.ts `handleAlarmNum()`.
            let number = try #require(await socket.next(type: "alarm_num", timeout: .seconds(3)))
            #expect(Self.data(number)["current_alarms"] as? Int == 1)
            #expect(Self.data(number)["server_id"] as? String == "alarmsrv")
        }
        let listed = try await cluster.http("GET", "/api/alarms").json()
        #expect((listed["alarms"] as? [[String: Any]])?.first?["alarm_id"] as? String == "7")
    }
}
