import ClientFrames
import Foundation
import SwitchboardProtocol
import Testing

@testable import Scheduler

/// Room and question rules the scheduler applies to client frames, tested without Redis or sockets.
@Suite("Room and question commands decide without sockets")
struct RoomDecisionTests {
    @Test func aJoinReadsWhatCameAfterSinceOrTheNewestFifty() {
        #expect(RoomRules.historyLimit(since: nil) == 50)
        #expect(RoomRules.historyLimit(since: StreamID("1712345678901-0")) == 500)
    }

    @Test func aConnectionJoinsARoomOnceAndAtMostAHundred() {
        #expect(RoomRules.joinRefusal("lobby", rooms: []) == nil)
        #expect(RoomRules.joinRefusal("lobby", rooms: ["lobby"])?.contains("already") == true)
        let full = Set((0..<RoomRules.maxRoomsPerConnection).map { "r\($0)" })
        #expect(RoomRules.joinRefusal("lobby", rooms: full)?.contains("at most 100") == true)
    }

    @Test func chatContentIsBoundedAtTwoThousandBytesAndNotBlank() {
        #expect(InputLimits.chatContentProblem(String(repeating: "a", count: 2000)) == nil)
        #expect(InputLimits.chatContentProblem(String(repeating: "a", count: 2001)) != nil)
        #expect(InputLimits.chatContentProblem(String(repeating: "é", count: 1001)) != nil)
        #expect(InputLimits.chatContentProblem(" \n\t") != nil)
    }

    @Test func onlyAnAdminClearsARoom() {
        #expect(ClearHistoryCommand.mayClear(room: "lobby", admin))
        #expect(!ClearHistoryCommand.mayClear(room: "lobby", operatorUser))
        #expect(!ClearHistoryCommand.mayClear(room: "lobby", Principal(user: "admin", roles: ["viewer"])))
    }

    @Test func aPrivateRoomsACLAdmitsItsMembersAndAdminsOnly() {
        let notice = RoomACLNotice(room: "ops", isPrivate: true, members: ["olga"])
        #expect(RoomAccessCheck.admits(notice, operatorUser))
        #expect(RoomAccessCheck.admits(notice, admin))
        #expect(!RoomAccessCheck.admits(notice, viewer))
        #expect(!RoomAccessCheck.admits(notice, nil))
        #expect(RoomAccessCheck.admits(RoomACLNotice(room: "ops", isPrivate: false, members: []), nil))
    }

    @Test func suggestionsTakeOneToTenAndAShortPrefix() throws {
        func limit(_ data: String) throws -> Result<Int, Refusal> {
            GetSuggestionsCommand.limit(try command(#"{"type":"get_suggestions","data":\#(data)}"#).payload(GetSuggestionsRequest.self))
        }
        #expect(try limit(#"{"prefix":"how"}"#).get() == 10)
        #expect(try limit(#"{"prefix":"how","limit":3}"#).get() == 3)
        guard case .failure = try limit(#"{"prefix":"how","limit":11}"#) else { throw Failure("limit 11 was accepted") }
        let long = String(repeating: "p", count: 201)
        guard case .failure = try limit(#"{"prefix":"\#(long)"}"#) else { throw Failure("a 201-character prefix was accepted") }
    }

    @Test func theRouterAnswersAnUnknownTypeAndABadPayloadWithAnErrorAndChangesNothing() async throws {
        let router = CommandRouter([UnsubscribeAlarmsCommand(), SubscribeAlarmsCommand(limits: .init())])
        let state = ConnectionState(alarms: ["alarm/*"])
        func run(_ frame: String) async throws -> ClientCommandReply {
            let message = try ClientMessage.parse(Data(frame.utf8)).get()
            return await router.handle(
                .init(
                    edge: "e", connection: "c", principal: nil, ip: "127.0.0.1", endpoint: "main", type: message.type, id: message.id,
                    frame: frame, state: state.text))
        }
        let unknown = try await run(#"{"type":"launch","id":"x"}"#)
        #expect((objects(unknown).first?["data"] as? [String: Any])?["code"] as? String == "UNKNOWN_TYPE")
        #expect(unknown.state == nil && unknown.join.isEmpty && unknown.leave.isEmpty)
        let bad = try await run(#"{"type":"subscribe_alarms","id":"y","data":{"channels":"all"}}"#)
        let error = try #require(objects(bad).first?["data"] as? [String: Any])
        #expect(error["code"] as? String == "INVALID_MESSAGE")
        #expect(error["request_id"] as? String == "y")
        #expect(bad.state == nil && bad.join.isEmpty)
        let off = try await run(#"{"type":"unsubscribe_alarms","id":"z"}"#)
        #expect(off.leave == ["alarm/*"])
        #expect(off.state == "")
    }

    @Test func aStateThatDoesNotDecodeIsDroppedNotTrusted() {
        #expect(ConnectionState(text: #"{"rooms":"lobby"}"#) == ConnectionState())
        #expect(ConnectionState(text: nil) == ConnectionState())
        let state = ConnectionState(rooms: ["a", "b"])
        #expect(ConnectionState(text: state.text) == state)
        #expect(ConnectionState().text == "")
    }
}
