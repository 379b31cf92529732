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

    private func ack(_ frame: String, principal: Principal?, written: Written = Written()) async throws -> [String: Any] {
        let handler = ControlCommandHandler(write: { written.append($0) })
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
        #expect(try type(#"{"channel_id":1,"point_id":1,"value":1,"type":"A"}"#, commandType: "switch") == "A")
    }
}
