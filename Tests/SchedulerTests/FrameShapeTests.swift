import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol
import Testing

@testable import Scheduler

/// Frames whose shape a real client reads: the rule monitor's `data_batch` (RuleChainEditorView.vue) and a broadcast's
/// `data`, forwarded byte for byte (alarmsrv's alarm_monitor.py).
@Suite("Rule frames and broadcast data keep the shapes the dashboard reads")
struct FrameShapeTests {
    private static func hash(_ fields: [(String, String)]) -> RedisValue {
        .array(fields.flatMap { [RedisValue.string(Array($0.0.utf8)), .string(Array($0.1.utf8))] })
    }

    private static func data(_ frame: [UInt8]?) throws -> [String: Any] {
        let bytes = try #require(frame)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["type"] as? String == "data_batch")
        return try #require(object["data"] as? [String: Any])
    }

    /// As `libs/voltage-rules/src/scheduler.rs` writes `rule:{id}:exec`.
    @Test func aRuleExecutionBecomesTheExecutionPathTheEditorLightsUp() throws {
        let reply = Self.hash([
            ("timestamp", "1736755800"), ("success", "true"), ("error", ""),
            ("execution_path", #"["start","switch-soc","action-high","end"]"#),
            ("variable_values", #"{"X1":49.5}"#),
            ("node_details", #"{"switch-soc":{"node_type":"switch","input_values":{"X1":49.5}}}"#),
        ])
        let data = try Self.data(RuleFrames.dataBatch(rule: 7, reply: reply))
        #expect(data["rule_id"] as? Int == 7)
        let path = try #require(data["execution_path"] as? [[String: Any]])
        #expect(path.compactMap { $0["id"] as? String } == ["start", "switch-soc", "action-high", "end"])
        #expect((path[1]["variables"] as? [String: Any])?["X1"] as? Double == 49.5)
        #expect(path[0]["variables"] == nil)
        let last = try #require(data["last_execution"] as? [String: Any])
        #expect(last["success"] as? Bool == true)
        #expect(last["timestamp"] as? Int == 1_736_755_800)
        #expect(last["error"] is NSNull)
        #expect(last["execution_path"] as? [String] == ["start", "switch-soc", "action-high", "end"])
    }

    @Test func aRuleThatHasNotRunHasNoFrameAndGarbageFieldsAreEmpty() throws {
        #expect(RuleFrames.dataBatch(rule: 1, reply: .array([])) == nil)
        #expect(RuleFrames.dataBatch(rule: 1, reply: .null) == nil)
        let data = try Self.data(
            RuleFrames.dataBatch(
                rule: 2, reply: Self.hash([("success", "false"), ("error", "division by zero"), ("execution_path", "{not json"), ("timestamp", "x")]))
        )
        #expect((data["execution_path"] as? [Any])?.isEmpty == true)
        let last = try #require(data["last_execution"] as? [String: Any])
        #expect(last["error"] as? String == "division by zero")
        #expect(last["success"] as? Bool == false)
        #expect(last["timestamp"] as? Int == 0)
    }

    @Test func aBroadcastsDataIsCutOutExactlyAsSent() {
        func cut(_ text: String) -> String? {
            RawJSONMember.value(of: "data", in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(cut(#"{"type":"alarm","data":{"value":25.0,"b":1,"a":"x}\"y"},"id":"alarm_007"}"#) == #"{"value":25.0,"b":1,"a":"x}\"y"}"#)
        #expect(cut(#"{ "id" : "d\"ata" , "data" : [1, {"data":2}] }"#) == #"[1, {"data":2}]"#)
        #expect(cut(#"{"data":12.50}"#) == "12.50")
        #expect(cut(#"{"data":"a,b"}"#) == #""a,b""#)
        #expect(cut(#"{"type":"alarm"}"#) == nil)
        #expect(cut(#"[1]"#) == nil)
    }

    @Test func theBroadcastNetworksDefaultToLoopbackAndTheOlderNameStillCounts() throws {
        let loopback = try BroadcastNetworks.parse([:])
        #expect(loopback.contains(try #require(IPAddress("127.0.0.1"))))
        #expect(loopback.contains(try #require(IPAddress("::1"))))
        #expect(!loopback.contains(try #require(IPAddress("10.0.0.1"))))
        let older = try BroadcastNetworks.parse(["SWITCHBOARD_BROADCAST_NETWORKS": "10.0.0.0/8"])
        #expect(older.contains(try #require(IPAddress("10.1.2.3"))))
        #expect(!older.contains(try #require(IPAddress("127.0.0.1"))))
        #expect(try BroadcastNetworks.parse(["SWITCHBOARD_BROADCAST_TRUSTED_NETWORKS": ""]).isEmpty)
        #expect(throws: CIDR.Invalid.self) { try BroadcastNetworks.parse(["SWITCHBOARD_BROADCAST_TRUSTED_NETWORKS": "nope"]) }
    }
}
