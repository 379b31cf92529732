import Foundation

/// Every field a `Decodable` type reads, with the JSON kinds it accepts there, recorded by running the type's own
/// `init(from:)` against `KeyRecordingDecoder`.
///
/// Recorded rather than written down, so the docs and the bad-input suite can never miss a field a handler reads: a
/// field added to a payload type is in the schema on the next build. Paths are dotted from `root` (`data.interval`),
/// with `[]` for the elements of an array (`data.channels[]`).
public struct PayloadSchema: Sendable, Equatable, Codable {
    /// A JSON kind a field accepts, with the width of the Swift number it lands in.
    public enum Kind: String, Sendable, Codable, CaseIterable, Comparable {
        case string, bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float, double, array, object
        /// The type reads the value without asking for any kind (so every JSON value is accepted).
        case anything = "any"

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    public struct Field: Sendable, Equatable, Codable {
        public var path: String
        /// Sorted; several when the type tries alternatives (an id that is a string or a number).
        public var kinds: [Kind]
        /// Read with `decode` rather than `decodeIfPresent`: absent (or null) is an error.
        public var required: Bool
        /// The type itself accepts `null` here (beyond an optional field being absent).
        public var nullable: Bool
    }

    /// In the order the type first reads them.
    public var fields: [Field]

    public init(fields: [Field]) {
        self.fields = fields
    }

    /// Records what `type` reads, its value at `root` (the frame's `data`, by default) required when `rootRequired`.
    public init<T: Decodable>(recording type: T.Type, root: String = "data", rootRequired: Bool = true) {
        let recorder = KeyRecorder()
        if !root.isEmpty { recorder.seen(root, required: rootRequired) }
        _ = try? KeyRecordingDecoder.value(T.self, path: root, codingPath: [], recorder: recorder, strict: false)
        fields = recorder.fields.filter { !$0.path.isEmpty }
    }

    /// The schema of a client message's `data` as the edge decodes it (absent `data` allowed when the type has a default).
    public init<Payload: ClientPayload>(payload: Payload.Type) {
        self.init(recording: Payload.self, root: "data", rootRequired: Payload.whenAbsent == nil)
    }

    public func field(_ path: String) -> Field? {
        fields.first { $0.path == path }
    }
}

/// Collects what one recording saw, merged over its passes.
final class KeyRecorder {
    private var order: [String] = []
    private var kinds: [String: Set<PayloadSchema.Kind>] = [:]
    private var required: [String: Bool] = [:]
    private var nullable: Set<String> = []
    /// Paths where the type asked for a container (so a successful strict pass does not mean "any").
    private var containers: Set<String> = []

    func seen(_ path: String, required isRequired: Bool? = nil) {
        if kinds[path] == nil {
            order.append(path)
            kinds[path] = []
        }
        if let isRequired { required[path] = (required[path] ?? false) || isRequired }
    }

    func kind(_ kind: PayloadSchema.Kind, at path: String) {
        seen(path)
        kinds[path, default: []].insert(kind)
        if kind == .array || kind == .object { containers.insert(path) }
    }

    func nullable(_ path: String) {
        seen(path)
        nullable.insert(path)
    }

    func askedForContainer(_ path: String) -> Bool { containers.contains(path) }

    var fields: [PayloadSchema.Field] {
        order.map { path in
            PayloadSchema.Field(
                path: path, kinds: (kinds[path] ?? []).sorted(), required: required[path] ?? false, nullable: nullable.contains(path))
        }
    }
}

extension PayloadSchema {
    /// The path (`data.channels[2]`) of the first number in `data` that an integer field of this schema cannot hold.
    ///
    /// JSONDecoder reports `1e300`, `0.5` or `2^64` in an `Int` field as corrupt data with an empty coding path, so the
    /// edge could not say which field is wrong; this walks the parsed `data` along the recorded integer fields instead.
    public func firstUnfitInteger(in data: Any, root: String = "data") -> String? {
        for field in fields where field.isIntegerOnly && field.path.hasPrefix(root) {
            let components = Self.components(String(field.path.dropFirst(root.count)))
            for (path, value) in Self.values(at: components, in: data, path: root) {
                guard let number = value as? NSNumber, !field.fits(number) else { continue }
                return path
            }
        }
        return nil
    }

    /// `.channels[]` → `["channels", "[]"]`.
    static func components(_ path: String) -> [String] {
        var parts: [String] = []
        for piece in path.split(separator: ".") {
            var name = Substring(piece)
            var elements = 0
            while name.hasSuffix("[]") {
                name = name.dropLast(2)
                elements += 1
            }
            if !name.isEmpty { parts.append(String(name)) }
            parts += Array(repeating: "[]", count: elements)
        }
        return parts
    }

    /// Every value at `components` under `value`, with its concrete path (array elements by index).
    static func values(at components: [String], in value: Any, path: String) -> [(String, Any)] {
        guard let head = components.first else { return [(path, value)] }
        let rest = Array(components.dropFirst())
        if head == "[]" {
            guard let array = value as? [Any] else { return [] }
            return array.enumerated().flatMap { values(at: rest, in: $0.element, path: "\(path)[\($0.offset)]") }
        }
        guard let object = value as? [String: Any], let child = object[head] else { return [] }
        return values(at: rest, in: child, path: "\(path).\(head)")
    }
}

extension PayloadSchema.Field {
    /// Read only as an integer (no Double alternative, not `any`).
    var isIntegerOnly: Bool {
        !kinds.isEmpty && kinds.allSatisfy { [.int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64].contains($0) }
    }

    /// Whether one of this field's integer kinds holds `number` exactly.
    func fits(_ number: NSNumber) -> Bool {
        if kinds.contains(.uint64), number as? UInt64 != nil { return true }
        guard let value = number as? Int64 else { return false }
        let ranges: [PayloadSchema.Kind: ClosedRange<Int64>] = [
            .int8: -128...127, .int16: -32_768...32_767, .int32: -2_147_483_648...2_147_483_647, .int64: Int64.min...Int64.max,
            .uint8: 0...255, .uint16: 0...65_535, .uint32: 0...4_294_967_295, .uint64: 0...Int64.max,
        ]
        return kinds.contains { ranges[$0]?.contains(value) == true }
    }
}
