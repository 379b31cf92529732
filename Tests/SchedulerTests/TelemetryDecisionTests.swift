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

    @Test func subscribeDefaultsToOneSecondOfTAndSFromTheDefaultSource() throws {
        let checked = try SubscribeCommand.check(subscribe(#"{"channels":[1]}"#), perSubscribe: 10).get()
        #expect(checked == .init(interval: 1000, types: ["S", "T"], source: TelemetryGroup.defaultSource))
    }

    @Test func subscribeRefusesAnIntervalTypeSourceOrChannelCountOutOfBounds() throws {
        let cases = [
            (#"{"channels":[1],"interval":99}"#, "interval"),
            (#"{"channels":[1],"data_types":["X"]}"#, "data_types"),
            (#"{"channels":[1],"data_types":[]}"#, "data_types"),
            (#"{"channels":[1],"source":"no spaces"}"#, "source"),
            (#"{"channels":[]}"#, "data.channels"),
            (#"{"channels":[1,2,3]}"#, "SWITCHBOARD_MAX_CHANNELS_PER_SUBSCRIBE"),
        ]
        for (data, word) in cases {
            guard case .failure(let problem) = SubscribeCommand.check(try subscribe(data), perSubscribe: 2) else {
                Issue.record("\(data) was accepted")
                continue
            }
            #expect(problem.reason.contains(word), "\(data): \(problem.reason)")
        }
    }

    @Test func aLaterSubscribeOfTheSameSourceUnitesTheTypesAndAnotherSourceStartsOver() throws {
        let previous = ConnectionState.Telemetry(source: "plant", intervalMs: 500, channels: [1, 2], types: ["T"], topic: "t")
        let same = try SubscribeCommand.check(subscribe(#"{"channels":[3],"data_types":["S"],"source":"plant"}"#), perSubscribe: 10).get()
        let merged = SubscribeCommand.merge(same, into: previous)
        #expect(merged.keep == previous)
        #expect(merged.types == ["S", "T"])
        let other = try SubscribeCommand.check(subscribe(#"{"channels":[3],"data_types":["S"],"source":"other"}"#), perSubscribe: 10).get()
        let fresh = SubscribeCommand.merge(other, into: previous)
        #expect(fresh.keep == nil)
        #expect(fresh.types == ["S"])
    }

    @Test func unsubscribeDropsSomeChannelsAndMovesTheConnectionToTheGroupOfTheRest() async throws {
        let group = try #require(TelemetryGroup(intervalMs: 1000, channels: [1, 2, 3], types: ["T"], source: "plant"))
        let state = ConnectionState(
            telemetry: .init(source: "plant", intervalMs: 1000, channels: group.channels, types: group.types, topic: group.topic))
        var unsubscribe = try command(#"{"type":"unsubscribe","id":"u","data":{"channels":[2]}}"#, state: state)
        try await UnsubscribeCommand().run(&unsubscribe)
        let rest = try #require(TelemetryGroup(intervalMs: 1000, channels: [1, 3], types: ["T"], source: "plant"))
        #expect(unsubscribe.reply.leave == [group.topic])
        #expect(unsubscribe.reply.join == [rest.topic])
        #expect(unsubscribe.state.telemetry?.channels == [1, 3])
        let ack = try #require(objects(unsubscribe.reply).first)
        #expect(ack["type"] as? String == "unsubscribe_ack")
        #expect((ack["data"] as? [String: Any])?["unsubscribed"] as? [Int] == [2])
    }

    @Test func alarmTopicsAreAllOrTheNamedChannelsWithinTheSmallerBound() throws {
        let limits = SubscriptionLimits(perSubscribe: 3, perConnection: 2)
        func topics(_ data: String) throws -> Result<Set<String>, Refusal> {
            SubscribeAlarmsCommand.topics(
                try command(#"{"type":"subscribe_alarms","data":\#(data)}"#).payload(SubscribeAlarmsRequest.self), limits: limits)
        }
        #expect(try topics("{}").get() == ["alarm/*"])
        #expect(try topics(#"{"channels":[]}"#).get() == ["alarm/*"])
        #expect(try topics(#"{"channels":[4,4,5]}"#).get() == ["alarm/4", "alarm/5"])
        guard case .failure = try topics(#"{"channels":[0]}"#) else { throw Failure("channel 0 was accepted") }
        guard case .failure(let bound) = try topics(#"{"channels":[1,2,3]}"#) else { throw Failure("3 channels passed a bound of 2") }
        #expect(bound.reason.contains("at most 2"))
    }

    @Test func aNewAlarmSubscriptionReplacesTheOldOne() async throws {
        var subscribe = try command(#"{"type":"subscribe_alarms","id":"a","data":{"channels":[7]}}"#, state: .init(alarms: ["alarm/*"]))
        try await SubscribeAlarmsCommand(limits: SubscriptionLimits()).run(&subscribe)
        #expect(subscribe.reply.leave == ["alarm/*"])
        #expect(subscribe.reply.join == ["alarm/7"])
        #expect(subscribe.state.alarms == ["alarm/7"])
        var anonymous = try command(#"{"type":"subscribe_alarms","id":"b"}"#)
        await #expect(throws: ProtocolFailure.self) {
            try await SubscribeAlarmsCommand(limits: SubscriptionLimits(), anonymous: AnonymousAccess(alarms: false)).run(&anonymous)
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
