import SwitchboardProtocol

/// The telemetry sources a client may subscribe to and the data types each one has (`SWITCHBOARD_TELEMETRY_SOURCES`).
///
/// Keys stay `{source}:{channel}:{type}` for every source: VoltageEMS's comsrv writes `comsrv:{channel}:{T|S|C|A}`
/// and its modsrv `inst:{instance}:{A|M|P}` (the dashboard's device pages subscribe to both). A table rather than a
/// free string, so a client cannot make the scheduler poll keys no field service writes. `rule` is not a source here:
/// it names rule execution state (`RuleWatch`).
struct TelemetrySources: Sendable, Equatable {
    static let variable = "SWITCHBOARD_TELEMETRY_SOURCES"
    static let defaultText = "comsrv:T,S,C,A;inst:A,M,P"
    /// The source whose "channels" are rule ids (`source: "rule"` in the dashboard's RuleChainEditorView).
    static let rule = "rule"

    /// Source → its data types, in the order configured.
    let types: [String: [String]]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(types: [String: [String]]) {
        self.types = types
    }

    /// Parses `name:T,S;other:A` (spaces allowed around the separators).
    init(parsing text: String) throws(Invalid) {
        var table: [String: [String]] = [:]
        for entry in text.split(separator: ";") {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            let name = parts.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard parts.count == 2, TelemetryGroup.isValidSource(name), name != Self.rule else {
                throw Invalid(
                    description:
                        "\(Self.variable): `\(entry.prefix(80))` must be `source:TYPE,TYPE` with a source of 1–32 letters, digits, _ or - (not `rule`)"
                )
            }
            var types: [String] = []
            for type in parts[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !types.contains(type) {
                guard TelemetryGroup.isValidDataType(type) else {
                    throw Invalid(description: "\(Self.variable): data type `\(type.prefix(20))` of \(name) must be 1–8 letters or digits")
                }
                types.append(type)
            }
            guard !types.isEmpty, table[name] == nil else {
                throw Invalid(description: "\(Self.variable): \(name) needs at least one data type and may be listed once")
            }
            table[name] = types
        }
        guard !table.isEmpty else { throw Invalid(description: "\(Self.variable) lists no source") }
        self.types = table
    }

    static let standard = TelemetrySources(types: ["comsrv": ["T", "S", "C", "A"], "inst": ["A", "M", "P"]])

    /// The configured names, sorted, with `rule`, for messages.
    var names: String { (types.keys.sorted() + [Self.rule]).joined(separator: ", ") }

    /// Whether `type` is one of `source`'s data types.
    func has(_ source: String, type: String) -> Bool { types[source]?.contains(type) ?? false }

    /// Whether a group (e.g. rebuilt from a topic after a restart) reads only configured keys.
    func admits(_ group: TelemetryGroup) -> Bool {
        guard let known = types[group.source] else { return false }
        return group.types.allSatisfy(known.contains)
    }
}
