import Foundation
import SwitchboardProtocol

/// A JSON value whose objects keep the order they are written in.
///
/// The OpenAPI document is written by hand as literals; with `[String: Any]` or `Codable` dictionaries its paths and
/// fields would come out sorted or shuffled. Keeping the written order makes `/docs/openapi.json` read like the API table
/// of DESIGN.md §4, and the literal conformances keep the schemas short.
indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// The value of `key` when this is an object that has it.
    subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }

    /// This object with `value` set at `key` (replaced in place when present, appended otherwise).
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var fields) = self else { return self }
        if let index = fields.firstIndex(where: { $0.key == key }) {
            fields[index].value = value
        } else {
            fields.append((key, value))
        }
        return .object(fields)
    }

    /// Compact JSON text.
    var text: String {
        var output = ""
        write(to: &output, indent: nil)
        return output
    }

    /// JSON text indented by two spaces, for people reading it on the docs page.
    var prettyText: String {
        var output = ""
        write(to: &output, indent: "")
        return output
    }

    private func write(to output: inout String, indent: String?) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value): output += value.isFinite ? String(value) : "null"
        case .string(let value): Self.quote(value, into: &output)
        case .array(let items):
            guard !items.isEmpty else {
                output += "[]"
                return
            }
            let inner = indent.map { $0 + "  " }
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                if let inner { output += "\n" + inner }
                item.write(to: &output, indent: inner)
            }
            if let indent { output += "\n" + indent }
            output += "]"
        case .object(let fields):
            guard !fields.isEmpty else {
                output += "{}"
                return
            }
            let inner = indent.map { $0 + "  " }
            output += "{"
            for (index, field) in fields.enumerated() {
                if index > 0 { output += "," }
                if let inner { output += "\n" + inner }
                Self.quote(field.key, into: &output)
                output += indent == nil ? ":" : ": "
                field.value.write(to: &output, indent: inner)
            }
            if let indent { output += "\n" + indent }
            output += "}"
        }
    }

    private static func quote(_ text: String, into output: inout String) {
        output += JSONWriter.quoted(text)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(floatLiteral value: Double) { self = .double(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements.map { (key: $0.0, value: $0.1) }) }
    init(nilLiteral: ()) { self = .null }
}
