import SwitchboardProtocol

/// One rule whose execution state a connection watches at an interval (`subscribe` with `source: "rule"`, rule ids in
/// `channels`, as VoltageEMS's RuleChainEditorView sends it).
///
/// Its topic `rule/<interval>/<rule>` **is** the subscription, like a group's, so after a restart the scheduler
/// rebuilds what to poll from the edges' subscriptions alone. One topic per rule: the dashboard reads one rule per frame
/// (`data.rule_id`).
struct RuleWatch: Codable, Sendable, Hashable {
    let rule: Int
    let intervalMs: Int

    init?(rule: Int, intervalMs: Int) {
        guard rule > 0, TelemetryGroup.intervalRange.contains(intervalMs) else { return nil }
        self.rule = rule
        self.intervalMs = intervalMs
    }

    init?(topic: String) {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "rule", let interval = Int(parts[1]), let rule = Int(parts[2]) else { return nil }
        self.init(rule: rule, intervalMs: interval)
        guard self.topic == topic else { return nil }
    }

    var topic: String { "rule/\(intervalMs)/\(rule)" }

    /// Where VoltageEMS's rule engine writes the last execution (`libs/voltage-rules/src/scheduler.rs`).
    var key: String { "rule:\(rule):exec" }
}
