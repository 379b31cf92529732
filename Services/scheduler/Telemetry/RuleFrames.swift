import Foundation
import Redis
import SwitchboardProtocol

/// Builds the `data_batch` frame of one rule from its `rule:{id}:exec` hash, as VoltageEMS's rule engine writes it
/// (`libs/voltage-rules/src/scheduler.rs`: `timestamp`, `success`, `error`, and JSON text in `execution_path`,
/// `variable_values`, `node_details`).
///
/// The frame carries what both readers need: the dashboard's RuleChainEditorView reads `data.rule_id` and
/// `data.execution_path` as `[{id, variables}]` (it lights the nodes and shows each node's variables); the old
/// gateway's rule monitor sent `data.last_execution` with the hash's own fields, which is kept alongside.
enum RuleFrames {
    /// The frame, or nil when the rule has not run yet (no hash).
    static func dataBatch(rule: Int, reply: RedisValue, now: Date = Date()) -> [UInt8]? {
        guard let items = reply.array, items.count >= 2 else { return nil }
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < items.count {
            if let field = items[index].text, let value = items[index + 1].text { fields[field] = value }
            index += 2
        }
        guard !fields.isEmpty else { return nil }
        let path = (json(fields["execution_path"]) as? [Any] ?? []).compactMap { $0 as? String }
        let variables = json(fields["variable_values"]) as? [String: Any] ?? [:]
        let details = json(fields["node_details"]) as? [String: Any] ?? [:]
        let nodes: [[String: Any]] = path.map { id in
            var node: [String: Any] = ["id": id]
            if let inputs = (details[id] as? [String: Any])?["input_values"] as? [String: Any] { node["variables"] = inputs }
            return node
        }
        let error = fields["error"].flatMap { $0.isEmpty ? nil : $0 }
        let execution: [String: Any] = [
            "success": fields["success"]?.lowercased() == "true",
            "timestamp": Int(fields["timestamp"] ?? "") ?? 0,
            "error": error.map { $0 as Any } ?? NSNull(),
            "execution_path": path,
            "variable_values": variables,
            "node_details": details,
        ]
        let data: [String: Any] = ["rule_id": rule, "execution_path": nodes, "variables": variables, "last_execution": execution]
        guard let bytes = try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        let seconds = Int64(now.timeIntervalSince1970)
        return ServerFrame.envelope("data_batch", id: "rule_\(rule)_\(seconds)", timestamp: seconds, dataJSON: Array(bytes))
    }

    /// The frames of `watches` that have run, read with one pipelined round trip.
    static func read(_ watches: [RuleWatch], from redis: RedisClient) async throws -> [String] {
        guard !watches.isEmpty else { return [] }
        let replies = try await redis.pipeline(watches.map { ["HGETALL", $0.key] })
        return zip(watches, replies).compactMap { watch, reply in
            dataBatch(rule: watch.rule, reply: reply).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// A JSON text field of the hash; nil when absent or not JSON (the field side's value, not trusted to parse).
    private static func json(_ text: String?) -> Any? {
        guard let text, !text.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}
