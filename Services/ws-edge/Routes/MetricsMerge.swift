/// Joins several processes' Prometheus text into one valid exposition.
///
/// Each process emits its own `# TYPE` line per family; pasted one after another, a family shared by the edge and the
/// services (RPC and Redis histograms) would have a second TYPE line after samples, which the text format forbids
/// (`promtool check metrics` and strict parsers reject the whole scrape). Samples are labelled `service`, so grouping
/// them under one HELP/TYPE per family is enough.
enum MetricsMerge {
    private struct Family {
        var help: String?
        var type: String?
        var samples: [Substring] = []
    }

    /// What the families without a HELP line of their own measure.
    static let help: [String: String] = [
        "switchboard_service_up": "1 when the service answered sys.metrics to this edge over the bus.",
        "switchboard_rpc_client_duration_seconds": "RPC round trips by caller, target and method.",
        "switchboard_rpc_client_failures_total": "Failed RPCs by caller, target and error code.",
        "switchboard_rpc_server_duration_seconds": "RPC handler time by service and method.",
        "switchboard_redis_command_duration_seconds": "Redis command round trips by command.",
        "switchboard_redis_failures_total": "Redis commands that failed (connection lost, failover, error reply).",
        "switchboard_bus_fanout_burst_seconds": "Time an edge's SUB thread spent fanning out one burst of events.",
        "switchboard_bus_auth_denied_total": "Bus connections refused by the ZAP handler, by reason.",
    ]

    static func merge(_ texts: [String]) -> String {
        var order: [String] = []
        var families: [String: Family] = [:]
        func touch(_ name: String) {
            if families[name] == nil {
                families[name] = Family()
                order.append(name)
            }
        }
        for text in texts {
            var current: String?
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    guard parts.count >= 3 else { continue }
                    let name = String(parts[2])
                    touch(name)
                    current = name
                    if parts[1] == "TYPE" {
                        if families[name]?.type == nil { families[name]?.type = String(line) }
                    } else if families[name]?.help == nil {
                        families[name]?.help = String(line)
                    }
                } else if line.hasPrefix("#") {
                    continue
                } else {
                    let sampleName = String(line.prefix { $0 != "{" && $0 != " " })
                    let family = current.flatMap { sampleName.hasPrefix($0) ? $0 : nil } ?? sampleName
                    touch(family)
                    families[family]?.samples.append(line)
                }
            }
        }
        var out = ""
        for name in order {
            guard let family = families[name] else { continue }
            // Families created through swift-metrics carry no HELP; promtool's lint requires one.
            out += (family.help ?? "# HELP \(name) \(help[name] ?? "Switchboard metric (see README, Operating).")") + "\n"
            if let type = family.type { out += type + "\n" }
            for sample in family.samples { out += sample + "\n" }
        }
        return out
    }
}
