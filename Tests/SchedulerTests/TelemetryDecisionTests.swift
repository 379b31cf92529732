import ClientFrames
import Foundation
import ServiceKit
import SwitchboardProtocol
import Testing

@testable import Scheduler

/// The telemetry and alarm decisions the scheduler takes for a client frame, without Redis or a socket.
@Suite("Telemetry and alarm commands decide without sockets")
struct TelemetryDecisionTests {
    private func subscribe(_ data: String) throws -> SubscribeRequest {
        try command(#"{"type":"subscribe","id":"s","data":\#(data)}"#).payload(SubscribeRequest.self)
    }

    @Test func subscribeDefaultsToOneSecondOfEveryTypeOfTheDefaultSource() throws {
        let checked = try SubscribeCommand.check(subscribe(#"{"channels":[1]}"#), perSubscribe: 10).get()
        #expect(checked == .init(interval: 1000, types: ["A", "C", "S", "T"], source: TelemetryGroup.defaultSource))
    }

    @Test func subscribeRefusesAnIntervalTypeSourceOrChannelCountOutOfBounds() throws {
        let cases = [
            (#"{"channels":[1],"interval":99}"#, "interval"),
            (#"{"channels":[1],"data_types":["X"]}"#, "data_types"),
            (#"{"channels":[1],"data_types":[]}"#, "data_types"),
            (#"{"channels":[1],"data_types":["M"]}"#, "T, S, C, A"),
            (#"{"channels":[1],"source":"inst","data_types":["T"]}"#, "A, M, P"),
            (#"{"channels":[1],"source":"no spaces"}"#, "source"),
            (#"{"channels":[1],"source":"aaasrv"}"#, "SWITCHBOARD_TELEMETRY_SOURCES"),
            (#"{"channels":[]}"#, "data.channels"),
            (#"{"channels":[1,2,3]}"#, "SWITCHBOARD_MAX_CHANNELS_PER_SUBSCRIBE"),
            (#"{"channels":[1,2,3],"source":"rule"}"#, "SWITCHBOARD_MAX_CHANNELS_PER_SUBSCRIBE"),
        ]
        for (data, word) in cases {
            guard case .failure(let problem) = SubscribeCommand.check(try subscribe(data), perSubscribe: 2) else {
                Issue.record("\(data) was accepted")
                continue
            }
            #expect(problem.reason.contains(word), "\(data): \(problem.reason)")
        }
    }

    /// The frames of BatteryOverview.vue (inst A,M,P) and RuleChainEditorView.vue (rule, no data_types).
    @Test func instTakesItsOwnTypesAndRuleTakesNone() throws {
        let inst = try SubscribeCommand.check(
            subscribe(#"{"channels":[1],"data_types":["A","M","P"],"interval":1000,"source":"inst"}"#), perSubscribe: 10
        ).get()
        #expect(inst == .init(interval: 1000, types: ["A", "M", "P"], source: "inst"))
        let rule = try SubscribeCommand.check(subscribe(#"{"source":"rule","channels":[7],"interval":1000}"#), perSubscribe: 10).get()
        #expect(rule == .init(interval: 1000, types: [], source: "rule"))
    }

    @Test func aSubscribeAddsToTheSubscriptionOfTheSameSourceIntervalAndTypesOnly() throws {
        let comsrv = ConnectionState.Telemetry(source: "comsrv", intervalMs: 100, channels: [2], types: ["T"], topic: "a")
        let inst = ConnectionState.Telemetry(source: "inst", intervalMs: 1000, channels: [1], types: ["A", "M", "P"], topic: "b")
        let held = [comsrv, inst]
        func slot(_ data: String) throws -> Int? {
            SubscribeCommand.slot(try SubscribeCommand.check(subscribe(data), perSubscribe: 10).get(), in: held)
        }
        #expect(try slot(#"{"channels":[3],"data_types":["T"],"interval":100,"source":"comsrv"}"#) == 0)
        #expect(try slot(#"{"channels":[2],"data_types":["A","M","P"],"source":"inst"}"#) == 1)
        #expect(try slot(#"{"channels":[3],"data_types":["T"],"interval":1000,"source":"comsrv"}"#) == nil)
        #expect(try slot(#"{"channels":[3],"data_types":["S","T"],"interval":100,"source":"comsrv"}"#) == nil)
    }

    private static func group(_ source: String, _ interval: Int, _ channels: [Int], _ types: [String]) -> ConnectionState.Telemetry {
        let group = TelemetryGroup(intervalMs: interval, channels: channels, types: types, source: source)
        return .init(source: source, intervalMs: interval, channels: channels, types: types, topic: group?.topic)
    }

    /// The dashboard's unsubscribe names its source (`{channels, source}`), so the other pages keep theirs.
    @Test func unsubscribeRemovesOnlyWhatItNamesFromItsSource() throws {
        let comsrv = Self.group("comsrv", 100, [2, 3], ["T"])
        let inst = Self.group("inst", 1000, [2], ["A", "M", "P"])
        let rule = try #require(RuleWatch(rule: 7, intervalMs: 1000))
        let state = ConnectionState(subscriptions: [comsrv, inst], rules: [rule])

        let one = UnsubscribeCommand.apply(.init(channels: [2, 9], source: "comsrv"), to: state)
        #expect(one.removed == [2])
        #expect(one.notSubscribed == [9])
        #expect(one.remaining == [3])
        #expect(one.leave == [comsrv.topic].compactMap { $0 })
        let rest = try #require(TelemetryGroup(intervalMs: 100, channels: [3], types: ["T"], source: "comsrv"))
        #expect(one.join == [rest.topic])
        #expect(one.state.telemetry.map(\.source) == ["comsrv", "inst"])
        #expect(one.state.telemetry.last == inst)
        #expect(one.state.watchedRules == [rule])

        let rules = UnsubscribeCommand.apply(.init(channels: [7], source: "rule"), to: state)
        #expect(rules.removed == [7])
        #expect(rules.leave == [rule.topic])
        #expect(rules.state.rules == nil)
        #expect(rules.state.subscriptions == state.subscriptions)

        let everything = UnsubscribeCommand.apply(.init(channels: nil, source: nil), to: state)
        #expect(everything.removed == [2, 3, 7])
        #expect(everything.state == ConnectionState())
        #expect(Set(everything.leave) == Set([comsrv.topic, inst.topic, rule.topic].compactMap { $0 }))
    }

    @Test func unsubscribeThroughTheHandlerAcksWhatWentAndChangesTheState() async throws {
        let state = ConnectionState(subscriptions: [Self.group("plant", 1000, [1, 2, 3], ["T"])])
        var unsubscribe = try command(#"{"type":"unsubscribe","id":"u","data":{"channels":[2]}}"#, state: state)
        try await UnsubscribeCommand().run(&unsubscribe)
        #expect(unsubscribe.state.telemetry.first?.channels == [1, 3])
        let ack = try #require(objects(unsubscribe.reply).first)
        #expect(ack["type"] as? String == "unsubscribe_ack")
        #expect((ack["data"] as? [String: Any])?["unsubscribed"] as? [Int] == [2])
        // The dashboard warns about every id in `failed` (websocket.ts handleUnsubscribeAck); not holding one is not a failure.
        var unheld = try command(#"{"type":"unsubscribe","id":"v","data":{"channels":[42],"source":"plant"}}"#, state: state)
        try await UnsubscribeCommand().run(&unheld)
        let unheldAck = try #require(objects(unheld.reply).first?["data"] as? [String: Any])
        #expect((unheldAck["failed"] as? [Int])?.isEmpty == true)
        #expect(unheldAck["not_subscribed"] as? [Int] == [42])
        #expect((ack["data"] as? [String: Any])?["request_id"] as? String == "u")
    }

    @Test func theSourceTableParsesAndRefusesWhatItCannotPoll() throws {
        let table = try TelemetrySources(parsing: TelemetrySources.defaultText)
        #expect(table == TelemetrySources.standard)
        #expect(try TelemetrySources(parsing: " comsrv : T , S ; bms:V1").types == ["comsrv": ["T", "S"], "bms": ["V1"]])
        for bad in ["", "comsrv", "comsrv:", "a b:T", "rule:T", "x:T/S", "x:T;x:S", "x:TOOLONGTYPE"] {
            #expect(throws: TelemetrySources.Invalid.self, "\(bad) was accepted") { try TelemetrySources(parsing: bad) }
        }
        let inst = try #require(TelemetryGroup(intervalMs: 1000, channels: [1], types: ["M"], source: "inst"))
        #expect(table.admits(inst))
        let wrong = try #require(TelemetryGroup(intervalMs: 1000, channels: [1], types: ["M"], source: "comsrv"))
        #expect(!table.admits(wrong))
    }

    @Test func pollTopicsRoundTripAndNothingElseIsPolled() throws {
        let watch = try #require(RuleWatch(rule: 12, intervalMs: 500))
        #expect(watch.topic == "rule/500/12")
        #expect(watch.key == "rule:12:exec")
        #expect(Poll(topic: "rule/500/12") == .rule(watch))
        let group = try #require(TelemetryGroup(intervalMs: 100, channels: [2], types: ["T"], source: "comsrv"))
        #expect(Poll(topic: group.topic) == .telemetry(group))
        for other in ["rule/500/0", "rule/50/1", "rule/500/01", "rule/500", "alarm/*", "alarm/num", "room/x", "rule/500/1/2"] {
            #expect(Poll(topic: other) == nil, "\(other)")
        }
    }

    @Test func alarmTopicsAreAllOrTheNamedChannelsWithTheCountsWithinTheSmallerBound() throws {
        let limits = SubscriptionLimits(perSubscribe: 3, perConnection: 2)
        func topics(_ data: String) throws -> Result<Set<String>, Refusal> {
            SubscribeAlarmsCommand.topics(
                try command(#"{"type":"subscribe_alarms","data":\#(data)}"#).payload(SubscribeAlarmsRequest.self), limits: limits)
        }
        #expect(try topics("{}").get() == ["alarm/*", "alarm/num"])
        #expect(try topics(#"{"channels":[]}"#).get() == ["alarm/*", "alarm/num"])
        #expect(try topics(#"{"channels":[4,4,5]}"#).get() == ["alarm/4", "alarm/5", "alarm/num"])
        guard case .failure = try topics(#"{"channels":[0]}"#) else { throw Failure("channel 0 was accepted") }
        guard case .failure(let bound) = try topics(#"{"channels":[1,2,3]}"#) else { throw Failure("3 channels passed a bound of 2") }
        #expect(bound.reason.contains("at most 2"))
    }

    @Test func aNewAlarmSubscriptionNarrowsTheAlarmsEveryConnectionGets() async throws {
        let opened = ConnectionState(text: ConnectionEvents.opening(Self.request(endpoint: "main"), alarmsToAll: true, anonymous: .init()).state)
        var subscribe = try command(#"{"type":"subscribe_alarms","id":"a","data":{"channels":[7]}}"#, state: opened)
        try await SubscribeAlarmsCommand(limits: SubscriptionLimits()).run(&subscribe)
        #expect(subscribe.reply.leave == ["alarm/*"])
        #expect(subscribe.reply.join == ["alarm/7"])
        #expect(subscribe.state.alarms == ["alarm/7", "alarm/num"])
        var anonymous = try command(#"{"type":"subscribe_alarms","id":"b"}"#)
        await #expect(throws: ProtocolFailure.self) {
            try await SubscribeAlarmsCommand(limits: SubscriptionLimits(), anonymous: AnonymousAccess(alarms: false)).run(&anonymous)
        }
    }

    private static func request(endpoint: String, principal: Principal? = nil) -> ClientCommandRequest {
        ClientCommandRequest(
            edge: "e", connection: "c", principal: principal, ip: "127.0.0.1", endpoint: endpoint, type: "connected", id: nil, frame: "",
            state: nil)
    }

    @Test func everyMainConnectionGetsAlarmsOnConnectingUnlessASettingSaysOtherwise() {
        let all = ConnectionEvents.opening(Self.request(endpoint: "main"), alarmsToAll: true, anonymous: .init())
        #expect(all.join == ["alarm/*", "alarm/num"])
        #expect(ConnectionState(text: all.state).alarms == ["alarm/*", "alarm/num"])
        #expect(ConnectionEvents.opening(Self.request(endpoint: "permissions"), alarmsToAll: true, anonymous: .init()).join.isEmpty)
        #expect(ConnectionEvents.opening(Self.request(endpoint: "main"), alarmsToAll: false, anonymous: .init()).join.isEmpty)
        let closed = AnonymousAccess(alarms: false)
        #expect(ConnectionEvents.opening(Self.request(endpoint: "main"), alarmsToAll: true, anonymous: closed).join.isEmpty)
        #expect(ConnectionEvents.opening(Self.request(endpoint: "main", principal: viewer), alarmsToAll: true, anonymous: closed).join.count == 2)
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
