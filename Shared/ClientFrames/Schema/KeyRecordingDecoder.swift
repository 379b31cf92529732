/// A `Decoder` with no input: it answers a type's own `init(from:)` with placeholder values and records every key the
/// type asks for, whether it asked with `decode` or `decodeIfPresent`, and which kind of value it wanted there.
///
/// Every non-primitive value is read twice. First strictly: each primitive request is recorded and then fails, so a type
/// that tries alternatives (`try? decode(String.self)`, then `Int64`) shows all of them, and one that still succeeds
/// without asking for any container accepts anything (`any`). Then leniently, with placeholders, so that the type goes
/// on to its later fields and they are recorded too.
struct KeyRecordingDecoder: Decoder {
    /// Nesting deeper than this is not followed (a recursive type would otherwise never end).
    static let maxDepth = 32

    let path: String
    let codingPath: [any CodingKey]
    let recorder: KeyRecorder
    let strict: Bool

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func value<T: Decodable>(
        _ type: T.Type, path: String, codingPath: [any CodingKey], recorder: KeyRecorder, strict: Bool
    ) throws -> T {
        if let value = try primitive(T.self, path: path, codingPath: codingPath, recorder: recorder, strict: strict) { return value }
        guard codingPath.count < maxDepth else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "nested too deeply to record"))
        }
        if strict {
            return try T(from: KeyRecordingDecoder(path: path, codingPath: codingPath, recorder: recorder, strict: true))
        }
        let probe = KeyRecordingDecoder(path: path, codingPath: codingPath, recorder: recorder, strict: true)
        if (try? T(from: probe)) != nil, !recorder.askedForContainer(path) { recorder.kind(.anything, at: path) }
        return try T(from: KeyRecordingDecoder(path: path, codingPath: codingPath, recorder: recorder, strict: false))
    }

    /// Records a request for a primitive; fails when strict, else answers a placeholder. Nil when `T` is not primitive.
    private static func primitive<T>(
        _ type: T.Type, path: String, codingPath: [any CodingKey], recorder: KeyRecorder, strict: Bool
    ) throws -> T? {
        let kind: PayloadSchema.Kind
        let placeholder: Any
        switch type {
        case is String.Type: (kind, placeholder) = (.string, "")
        case is Bool.Type: (kind, placeholder) = (.bool, false)
        case is Int.Type: (kind, placeholder) = (MemoryLayout<Int>.size == 8 ? .int64 : .int32, 0 as Int)
        case is Int8.Type: (kind, placeholder) = (.int8, 0 as Int8)
        case is Int16.Type: (kind, placeholder) = (.int16, 0 as Int16)
        case is Int32.Type: (kind, placeholder) = (.int32, 0 as Int32)
        case is Int64.Type: (kind, placeholder) = (.int64, 0 as Int64)
        case is UInt.Type: (kind, placeholder) = (MemoryLayout<UInt>.size == 8 ? .uint64 : .uint32, 0 as UInt)
        case is UInt8.Type: (kind, placeholder) = (.uint8, 0 as UInt8)
        case is UInt16.Type: (kind, placeholder) = (.uint16, 0 as UInt16)
        case is UInt32.Type: (kind, placeholder) = (.uint32, 0 as UInt32)
        case is UInt64.Type: (kind, placeholder) = (.uint64, 0 as UInt64)
        case is Float.Type: (kind, placeholder) = (.float, 0 as Float)
        case is Double.Type: (kind, placeholder) = (.double, 0 as Double)
        default: return nil
        }
        recorder.kind(kind, at: path)
        guard !strict, let value = placeholder as? T else {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "recording the schema"))
        }
        return value
    }

    func child(_ key: any CodingKey) -> KeyRecordingDecoder {
        let name = key.intValue == nil ? key.stringValue : "[]"
        let childPath = path.isEmpty ? name : (key.intValue == nil ? "\(path).\(name)" : "\(path)\(name)")
        return KeyRecordingDecoder(path: childPath, codingPath: codingPath + [key], recorder: recorder, strict: strict)
    }

    func read<T: Decodable>(_ type: T.Type) throws -> T {
        try Self.value(T.self, path: path, codingPath: codingPath, recorder: recorder, strict: strict)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        recorder.kind(.object, at: path)
        return KeyedDecodingContainer(KeyedRecorder<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        recorder.kind(.array, at: path)
        return UnkeyedRecorder(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueRecorder(decoder: self)
    }
}

/// The key of an array element in a coding path.
private struct ElementKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// Keys a container was asked about with `contains` or `decodeNil` first: those are optional.
private final class OptionalKeys {
    var names: Set<String> = []
}

private struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: KeyRecordingDecoder
    private let optional = OptionalKeys()

    init(decoder: KeyRecordingDecoder) {
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { [] }

    private func child(_ key: Key) -> KeyRecordingDecoder {
        let child = decoder.child(key)
        decoder.recorder.seen(child.path, required: !optional.names.contains(key.stringValue))
        return child
    }

    func contains(_ key: Key) -> Bool {
        optional.names.insert(key.stringValue)
        decoder.recorder.seen(decoder.child(key).path, required: false)
        return true
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        optional.names.insert(key.stringValue)
        decoder.recorder.seen(decoder.child(key).path, required: false)
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).read(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).read(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).read(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).read(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).read(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).read(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).read(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).read(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).read(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).read(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).read(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).read(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).read(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).read(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).read(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { child(key) }
}

/// Offers exactly one element, so the element type is read (and recorded) once.
private struct UnkeyedRecorder: UnkeyedDecodingContainer {
    let decoder: KeyRecordingDecoder
    private(set) var currentIndex = 0

    init(decoder: KeyRecordingDecoder) {
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { 1 }
    var isAtEnd: Bool { currentIndex >= 1 }

    /// An element is always there when it is read (it cannot be absent), so it is recorded as required.
    private mutating func element() -> KeyRecordingDecoder {
        defer { currentIndex += 1 }
        let child = decoder.child(ElementKey(currentIndex))
        decoder.recorder.seen(child.path, required: true)
        return child
    }

    mutating func decodeNil() throws -> Bool {
        decoder.recorder.nullable(decoder.child(ElementKey(currentIndex)).path)
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try element().read(type) }
    mutating func decode(_ type: String.Type) throws -> String { try element().read(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try element().read(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try element().read(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try element().read(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try element().read(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try element().read(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try element().read(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try element().read(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try element().read(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try element().read(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try element().read(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try element().read(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try element().read(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try element().read(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try element().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try element().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { element() }
}

private struct SingleValueRecorder: SingleValueDecodingContainer {
    let decoder: KeyRecordingDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        decoder.recorder.nullable(decoder.path)
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try decoder.read(type) }
    func decode(_ type: String.Type) throws -> String { try decoder.read(type) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.read(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.read(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.read(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.read(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.read(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.read(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.read(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.read(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.read(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.read(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.read(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.read(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.read(type) }
}
