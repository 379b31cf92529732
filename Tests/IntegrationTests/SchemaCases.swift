import Foundation

/// The message catalogue the edge serves at `/docs/websocket.json`: every message type, and every field of its `data`
/// with the JSON kinds accepted there, as recorded from the payload type the handler decodes.
struct MessageCatalog: Sendable {
    struct Field: Sendable {
        let path: String
        let kinds: Set<String>
        let required: Bool
        let nullable: Bool

        init(_ object: [String: Any]) {
            path = object["path"] as? String ?? ""
            kinds = Set(object["kinds"] as? [String] ?? [])
            required = object["required"] as? Bool ?? false
            nullable = object["nullable"] as? Bool ?? false
        }
    }

    struct Message: Sendable {
        let type: String
        let payload: String
        let endpoints: Set<String>
        let replies: Set<String>
        let fields: [Field]
        let example: String?
    }

    let envelope: [Field]
    let messages: [Message]

    init(_ document: [String: Any]) {
        envelope = (document["envelope"] as? [[String: Any]] ?? []).map(Field.init)
        messages = (document["messages"] as? [[String: Any]] ?? []).map { object in
            Message(
                type: object["type"] as? String ?? "",
                payload: object["payload"] as? String ?? "",
                endpoints: Set(object["endpoints"] as? [String] ?? []),
                replies: Set(object["replies"] as? [String] ?? []),
                fields: (object["fields"] as? [[String: Any]] ?? []).map(Field.init),
                example: object["example"] as? String
            )
        }
    }
}

/// A JSON document kept as text at the leaves, so `18446744073709551616` or `1e300` reach the edge exactly as written.
indirect enum JSONText: Sendable {
    case raw(String)
    case array([JSONText])
    case object([(key: String, value: JSONText)])

    var text: String {
        switch self {
        case .raw(let text): text
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.map { "\(JSONText.quote($0.key)):\($0.value.text)" }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    /// From a parsed JSON value (leaves re-encoded as JSONSerialization writes them).
    init(_ value: Any) {
        switch value {
        case let object as [String: Any]: self = .object(object.sorted { $0.key < $1.key }.map { ($0.key, JSONText($0.value)) })
        case let array as [Any]: self = .array(array.map(JSONText.init))
        default:
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data("null".utf8)
            self = .raw(String(decoding: data, as: UTF8.self))
        }
    }

    /// This document with the value at `path` (`a.b`, `a[]` for an array's only element) replaced, or removed when nil.
    func setting(_ path: [String], to value: JSONText?) -> JSONText {
        guard let head = path.first else { return value ?? self }
        let rest = Array(path.dropFirst())
        if head == "[]" {
            guard let value = value else { return .array([]) }
            let element: JSONText = if case .array(let items) = self, let first = items.first { first } else { .object([]) }
            return .array([rest.isEmpty ? value : element.setting(rest, to: value)])
        }
        var fields: [(key: String, value: JSONText)] = if case .object(let existing) = self { existing } else { [] }
        let current = fields.first { $0.key == head }?.value ?? .object([])
        fields.removeAll { $0.key == head }
        if rest.isEmpty {
            if let value { fields.append((head, value)) }
        } else {
            fields.append((head, current.setting(rest, to: value)))
        }
        return .object(fields)
    }

    /// `data.channels[]` → `["channels", "[]"]` (relative to `data`).
    static func components(_ path: String) -> [String] {
        var parts: [String] = []
        for piece in path.split(separator: ".") {
            var name = String(piece)
            var brackets = 0
            while name.hasSuffix("[]") {
                name.removeLast(2)
                brackets += 1
            }
            if !name.isEmpty { parts.append(name) }
            parts += Array(repeating: "[]", count: brackets)
        }
        return parts
    }
}

/// One value the generated suite puts into a field: every JSON kind and the extremes the issue names.
struct SampleValue: Sendable {
    enum Kind: Sendable { case absent, null, bool, integer, fraction, string, array, object }

    let name: String
    let kind: Kind
    /// JSON text; nil for `absent` (the key is left out).
    let text: String?

    static let megabyteString = "\"" + String(repeating: "x", count: 1 << 20) + "\""

    static let all: [SampleValue] = [
        .init(name: "absent", kind: .absent, text: nil),
        .init(name: "null", kind: .null, text: "null"),
        .init(name: "true", kind: .bool, text: "true"),
        .init(name: "false", kind: .bool, text: "false"),
        .init(name: "0", kind: .integer, text: "0"),
        .init(name: "1", kind: .integer, text: "1"),
        .init(name: "-1", kind: .integer, text: "-1"),
        .init(name: "Int64.max", kind: .integer, text: "9223372036854775807"),
        .init(name: "Int64.min", kind: .integer, text: "-9223372036854775808"),
        .init(name: "2^64", kind: .integer, text: "18446744073709551616"),
        .init(name: "0.5", kind: .fraction, text: "0.5"),
        .init(name: "1e300", kind: .fraction, text: "1e300"),
        .init(name: "-1e300", kind: .fraction, text: "-1e300"),
        .init(name: "-9.2e18", kind: .fraction, text: "-9.2e18"),
        .init(name: "empty string", kind: .string, text: #""""#),
        .init(name: "string", kind: .string, text: #""x""#),
        .init(name: "1 MiB string", kind: .string, text: megabyteString),
        .init(name: "empty array", kind: .array, text: "[]"),
        .init(name: "array", kind: .array, text: "[1]"),
        .init(name: "array of strings", kind: .array, text: #"["x"]"#),
        .init(name: "deep array", kind: .array, text: String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)),
        .init(name: "empty object", kind: .object, text: "{}"),
        .init(name: "object", kind: .object, text: #"{"a":1}"#),
        .init(name: "deep object", kind: .object, text: String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64)),
    ]

    /// Whether a field whose type reads `field.kinds` decodes this value (the JSON decoder's own rules: integers must be
    /// exact and in range, any number fits a Double, Float tops out at 3.4e38).
    func isAccepted(by field: MessageCatalog.Field) -> Bool {
        let kinds = field.kinds
        if kinds.contains("any") { return true }
        switch kind {
        case .absent: return !field.required
        case .null: return !field.required || field.nullable
        case .bool: return kinds.contains("bool")
        case .string: return kinds.contains("string")
        case .array: return kinds.contains("array")
        case .object: return kinds.contains("object")
        case .integer, .fraction:
            let number = Double(text ?? "") ?? .nan
            if kinds.contains("double") { return true }
            if kinds.contains("float") && abs(number) <= Double(Float.greatestFiniteMagnitude) { return true }
            guard let text else { return false }
            let ranges: [String: (Int64, Int64)] = [
                "int8": (-128, 127), "int16": (-32_768, 32_767), "int32": (-2_147_483_648, 2_147_483_647), "int64": (Int64.min, Int64.max),
                "uint8": (0, 255), "uint16": (0, 65_535), "uint32": (0, 4_294_967_295),
            ]
            // An integer field takes a number written with a fraction or exponent when it is exactly an integer (-9.2e18).
            let exact = Int64(text) ?? Int64(exactly: number)
            if let value = exact, ranges.contains(where: { kinds.contains($0.key) && ($0.value.0...$0.value.1).contains(value) }) {
                return true
            }
            return kinds.contains("uint64") && (UInt64(text) ?? UInt64(exactly: number)) != nil
        }
    }
}

/// One generated frame and what must answer it.
struct SchemaCase: Sendable {
    enum Expectation: Sendable {
        /// The field decodes: an `error` of any code, or one of `replies`.
        case anyAnswer
        /// The field cannot hold the value: `INVALID_MESSAGE` naming `field`, or one of `replies` naming it (a failed `control_ack`).
        case refusal(naming: String)
    }

    let label: String
    let type: String
    let frame: [UInt8]
    /// Answers are matched by this id (`request_id`, `client_id`, or a reply id `<id>_…`); nil when the id itself is what is
    /// fuzzed, so the case is sent alone and the next answer is its answer.
    let id: String?
    let replies: Set<String>
    let expectation: Expectation
}

/// Builds the cases from the catalogue: for every message type and every field it reads, every `SampleValue`, each in a
/// frame that is valid everywhere else (the docs' example, completed from the schema), plus the envelope's own fields.
struct SchemaCaseGenerator {
    let catalog: MessageCatalog
    private var serial = 0

    init(catalog: MessageCatalog) {
        self.catalog = catalog
    }

    private mutating func nextID() -> String {
        serial += 1
        return "sc\(serial)"
    }

    /// A valid value for a field of these kinds, for the fields not being fuzzed.
    static func plainValue(_ field: MessageCatalog.Field, in message: MessageCatalog.Message) -> JSONText {
        let kinds = field.kinds
        if kinds.contains("string") { return .raw(#""fuzz""#) }
        if kinds.contains("any") || kinds.contains(where: { $0.hasPrefix("int") || $0.hasPrefix("uint") }) { return .raw("1") }
        if kinds.contains("double") || kinds.contains("float") { return .raw("1.5") }
        if kinds.contains("bool") { return .raw("true") }
        if kinds.contains("array") {
            let element = message.fields.first { $0.path == field.path + "[]" }
            return .array(element.map { [plainValue($0, in: message)] } ?? [])
        }
        return .object([])
    }

    /// The example's `data` where the docs have one, with every required field the example lacks added.
    static func baseline(_ message: MessageCatalog.Message) -> JSONText {
        var data = JSONText.object([])
        if let example = message.example, let object = (try? JSONSerialization.jsonObject(with: Data(example.utf8))) as? [String: Any],
            let exampleData = object["data"]
        {
            data = JSONText(exampleData)
        }
        for field in message.fields where field.required && field.path.hasPrefix("data.") && !field.path.contains("[]") {
            let path = JSONText.components(String(field.path.dropFirst("data.".count)))
            if !Self.has(data, path) { data = data.setting(path, to: plainValue(field, in: message)) }
        }
        return data
    }

    private static func has(_ document: JSONText, _ path: [String]) -> Bool {
        guard let head = path.first else { return true }
        guard case .object(let fields) = document, let value = fields.first(where: { $0.key == head })?.value else { return false }
        return has(value, Array(path.dropFirst()))
    }

    static func frame(type: JSONText?, id: JSONText?, data: JSONText?) -> [UInt8] {
        var fields: [(key: String, value: JSONText)] = []
        if let type { fields.append(("type", type)) }
        if let id { fields.append(("id", id)) }
        if let data { fields.append(("data", data)) }
        return Array(JSONText.object(fields).text.utf8)
    }

    /// The cases of one message type: every field × every value, and a frame nested past the parser's depth limit.
    mutating func cases(for message: MessageCatalog.Message) -> [SchemaCase] {
        var cases: [SchemaCase] = []
        let data = Self.baseline(message)
        for field in message.fields {
            let isElement = field.path.hasSuffix("[]")
            let naming = field.path.components(separatedBy: "[]").first ?? field.path
            for value in SampleValue.all where !(isElement && value.kind == .absent) {
                let id = nextID()
                let frameData: JSONText?
                if field.path == "data" {
                    frameData = value.text.map(JSONText.raw)
                } else {
                    let path = JSONText.components(String(field.path.dropFirst("data.".count)))
                    frameData = data.setting(path, to: value.text.map(JSONText.raw))
                }
                cases.append(
                    SchemaCase(
                        label: "\(message.type) \(field.path) = \(value.name)", type: message.type,
                        frame: Self.frame(type: .raw(JSONText.quote(message.type)), id: .raw(JSONText.quote(id)), data: frameData), id: id,
                        replies: message.replies,
                        expectation: value.isAccepted(by: field) ? .anyAnswer : .refusal(naming: naming)))
            }
        }
        // Past the JSON parser's nesting limit (512): refused as a whole, before any handler, without a request id.
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        cases.append(
            SchemaCase(
                label: "\(message.type) data nested 5000 deep", type: message.type,
                frame: Self.frame(type: .raw(JSONText.quote(message.type)), id: .raw(#""deep""#), data: .raw(deep)), id: nil, replies: [],
                expectation: .anyAnswer))
        return cases
    }

    /// The envelope's fields (`type`, `id`) with every value, in a ping frame.
    mutating func envelopeCases() -> [SchemaCase] {
        var cases: [SchemaCase] = []
        for field in catalog.envelope {
            for value in SampleValue.all {
                let expectation: SchemaCase.Expectation = value.isAccepted(by: field) ? .anyAnswer : .refusal(naming: field.path)
                let label = "envelope \(field.path) = \(value.name)"
                switch field.path {
                case "type":
                    let id = nextID()
                    cases.append(
                        SchemaCase(
                            label: label, type: "?", frame: Self.frame(type: value.text.map(JSONText.raw), id: .raw(JSONText.quote(id)), data: nil),
                            id: id, replies: [], expectation: expectation))
                case "id":
                    cases.append(
                        SchemaCase(
                            label: label, type: "ping", frame: Self.frame(type: .raw(#""ping""#), id: value.text.map(JSONText.raw), data: nil),
                            id: nil, replies: ["pong"], expectation: expectation))
                default:
                    let id = nextID()
                    var fields: [(key: String, value: JSONText)] = [("type", .raw(#""ping""#)), ("id", .raw(JSONText.quote(id)))]
                    if let text = value.text { fields.append((field.path, .raw(text))) }
                    cases.append(
                        SchemaCase(
                            label: label, type: "ping", frame: Array(JSONText.object(fields).text.utf8), id: id, replies: ["pong"],
                            expectation: expectation))
                }
            }
        }
        return cases
    }
}
