import ClientFrames
import Foundation
import SwitchboardProtocol
import Synchronization
import Testing

@testable import Scheduler

/// Who may control, and how a control command's type is inferred: decided by the scheduler from the principal the
/// edge forwards, whatever the frame says.
@Suite("Control commands decide roles and types without sockets")
struct ControlDecisionTests {
    /// What the handler wrote for the field side.
    final class Written: Sendable {
        private let commands = Mutex<[ControlCommand.Params]>([])
        func append(_ params: ControlCommand.Params) { commands.withLock { $0.append(params) } }
        var all: [ControlCommand.Params] { commands.withLock { $0 } }
    }

    private func ack(_ frame: String, principal: Principal?, written: Written = Written(), current: Double? = nil) async throws -> [String: Any] {
        let handler = ControlCommandHandler(
            write: { params in
                written.append(params)
                return .init(key: "\(params.source):\(params.channelID):\(params.type):TODO", queueLength: written.all.count)
            },
            read: { _ in current })
        var control = try command(frame, principal: principal)
        try await handler.run(&control)
        #expect(control.reply.frames.count == 1)
        let ack = try #require(objects(control.reply).first)
        #expect(ack["type"] as? String == "control_ack")
        return try #require(ack["data"] as? [String: Any])
    }

    @Test func onlyOperatorsAndAdminsMayControl() {
        #expect(ControlCommandHandler.mayControl(operatorUser))
        #expect(ControlCommandHandler.mayControl(admin))
        #expect(!ControlCommandHandler.mayControl(viewer))
        #expect(!ControlCommandHandler.mayControl(nil))
    }

    @Test func aViewerOrAnonymousIsRejectedEvenWhenTheFrameNamesARole() async throws {
        let frame = #"{"type":"control","id":"k1","data":{"channel_id":1,"point_id":1,"value":1,"operator":"root","role":"operator"}}"#
        for principal in [viewer, nil] {
            let written = Written()
            let data = try await ack(frame, principal: principal, written: written)
            #expect(data["status"] as? String == "rejected")
            #expect(data["request_id"] as? String == "k1")
            #expect(written.all.isEmpty)
        }
    }

    @Test func anOperatorsCommandIsWrittenUnderTheirOwnNameWithTheInferredType() async throws {
        let written = Written()
        let frame = #"{"type":"control","id":"k5","data":{"channel_id":3,"point_id":2,"value":true,"command_type":"switch","operator":"root"}}"#
        let data = try await ack(frame, principal: operatorUser, written: written)
        #expect(data["status"] as? String == "executed")
        let params = try #require(written.all.first)
        #expect(params.operator == "olga")
        #expect(params.type == "C")
        #expect(params.valueJSON == "1")
        #expect(params.commandID == "k5")
    }

    @Test func anUndecodableOrOversizedCommandFailsInItsAck() async throws {
        let missing = try await ack(#"{"type":"control","id":"k2","data":{"channel_id":1}}"#, principal: operatorUser)
        #expect(missing["status"] as? String == "failed")
        let reason = String(repeating: "r", count: InputLimits.controlReasonBytes + 1)
        let long = try await ack(
            #"{"type":"control","id":"k3","data":{"channel_id":1,"point_id":1,"value":1,"reason":"\#(reason)"}}"#, principal: operatorUser)
        #expect(long["status"] as? String == "failed")
        let badType = try await ack(#"{"type":"control","id":"k4","data":{"channel_id":1,"point_id":1,"value":1,"type":"X"}}"#, principal: admin)
        #expect((badType["result"] as? [String: Any])?["error"] as? String == "type must be C (control) or A (adjustment)")
    }

    @Test func theTypeIsCForSwitchingCommandsAndAOtherwiseUnlessGiven() throws {
        func type(_ data: String, commandType: String) throws -> String {
            let request = try command(#"{"type":"control","data":\#(data)}"#).payload(ControlRequest.self)
            return ControlCommandHandler.dataType(request, commandType: commandType)
        }
        let plain = #"{"channel_id":1,"point_id":1,"value":1}"#
        #expect(try type(plain, commandType: "switch") == "C")
        #expect(try type(plain, commandType: "remote_control") == "C")
        #expect(try type(plain, commandType: "set_value") == "A")
        #expect(try type(plain, commandType: "execute") == "C")
        #expect(try type(#"{"channel_id":1,"point_id":1,"value":1,"type":"A"}"#, commandType: "switch") == "A")
    }

    /// The dashboard's `sendControlCommand` frame (apps/src/utils/websocket.ts): set_value with value 0 goes to comsrv's
    /// A list, and the ack says so in `result.message`, which the dashboard shows.
    @Test func aDashboardSetValueOfZeroIsWrittenAndTheAckSaysWhatHappened() async throws {
        let written = Written()
        let frame =
            #"{"id":"1733100000000-k2j3","type":"control","timestamp":"2026-12-02T03:00:00.000Z","data":{"channel_id":2001,"point_id":20,"command_type":"set_value","value":0,"operator":"system"}}"#
        let data = try await ack(frame, principal: operatorUser, written: written)
        #expect(data["status"] as? String == "executed")
        let result = try #require(data["result"] as? [String: Any])
        #expect(result["success"] as? Bool == true)
        #expect(result["actual_value"] as? Int == 0)
        #expect((result["message"] as? String)?.contains("comsrv:2001:A:TODO") == true, "\(result)")
        let params = try #require(written.all.first)
        #expect(params.valueJSON == "0")
        #expect(params.type == "A")
        #expect(params.operator == "olga")
    }

    @Test func aRefusalCarriesItsReasonInMessageAndError() async throws {
        let rejected = try await ack(#"{"type":"control","id":"r1","data":{"channel_id":1,"point_id":1,"value":1}}"#, principal: viewer)
        let result = try #require(rejected["result"] as? [String: Any])
        #expect(result["error"] as? String == "control needs role operator")
        #expect((result["message"] as? String)?.contains("control needs role operator") == true)
        let noValue = try await ack(
            #"{"type":"control","id":"r2","data":{"channel_id":1,"point_id":1,"command_type":"set_value"}}"#, principal: admin)
        #expect(noValue["status"] as? String == "failed")
        #expect(((noValue["result"] as? [String: Any])?["message"] as? String)?.contains("data.value") == true)
        let instControl = try await ack(
            #"{"type":"control","id":"r3","data":{"channel_id":1,"point_id":1,"value":1,"type":"C","source":"inst"}}"#, principal: admin)
        #expect(instControl["status"] as? String == "failed")
    }

    @Test func getValueReadsTheCurrentValueAndWritesNothing() async throws {
        let written = Written()
        let frame = #"{"type":"control","id":"g1","data":{"channel_id":3,"point_id":4,"command_type":"get_value"}}"#
        let data = try await ack(frame, principal: operatorUser, written: written, current: 12.5)
        #expect(data["status"] as? String == "executed")
        #expect((data["result"] as? [String: Any])?["actual_value"] as? Double == 12.5)
        #expect(written.all.isEmpty)
        let missing = try await ack(frame, principal: operatorUser, written: written, current: nil)
        #expect(missing["status"] as? String == "failed")
    }
}
