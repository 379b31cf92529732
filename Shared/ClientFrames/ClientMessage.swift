import Foundation

/// A frame a client sent: `{"type","id","timestamp","data"}`. The envelope is read once, in one pass over the bytes
/// (no `Codable` tree): `type`, `id` and where `data` is. Each handler decodes `data` into its own type from those bytes.
public struct ClientMessage: Sendable {
    public let type: String
    /// The client's id for this frame (string or number on the wire), echoed in replies as `request_id`.
    public let id: String?
    public let raw: Data
    /// Where the value of `data` lies in `raw` (nil when absent or `null`).
    private let dataRange: Range<Data.Index>?

    /// The envelope fields the edge reads (for `/docs/websocket.json` and the bad-input suite).
    struct Head: Decodable {
        let type: String
        let id: FlexibleID?
    }

    public static var envelopeSchema: PayloadSchema { PayloadSchema(recording: Head.self, root: "") }

    /// The bytes of `data`, undecoded (nil when the frame has none).
    public var data: Data? { dataRange.map { raw[$0] } }

    /// Reads the envelope, or says what is wrong with it (for an `INVALID_MESSAGE` error frame).
    public static func parse(_ raw: Data) -> Result<ClientMessage, ProtocolFailure> {
        let scan = raw.withUnsafeBytes { bytes -> EnvelopeScanner.Outcome in
            var scanner = EnvelopeScanner(bytes: bytes)
            return scanner.envelope()
        }
        let fields: EnvelopeScanner.Fields
        switch scan {
        case .notJSON: return .failure(.init(code: .invalidMessage, message: "the frame is not valid JSON"))
        case .notObject: return .failure(.init(code: .invalidMessage, message: "the frame must be a JSON object"))
        case .object(let found): fields = found
        }
        func slice(_ range: Range<Int>) -> Data { raw[(raw.startIndex + range.lowerBound)..<(raw.startIndex + range.upperBound)] }
        var id: String?
        var idValid = true
        if let value = fields.id {
            switch value.kind {
            case .null: id = nil
            case .string: id = Self.string(slice(value.range), escaped: value.escaped)
            case .number: id = Int64(String(decoding: slice(value.range), as: UTF8.self)).map(String.init)
            case .other: id = nil
            }
            idValid = value.kind == .null || id != nil
        }
        guard let typeValue = fields.type else {
            return .failure(.init(code: .invalidMessage, message: "the frame has no `type`", requestID: id))
        }
        guard typeValue.kind == .string, idValid, let type = Self.string(slice(typeValue.range), escaped: typeValue.escaped) else {
            return .failure(.init(code: .invalidMessage, message: "`type` must be a string and `id` a string or number", requestID: id))
        }
        guard !type.isEmpty else { return .failure(.init(code: .invalidMessage, message: "`type` must not be empty", requestID: id)) }
        let data = fields.data.flatMap { $0.kind == .null ? nil : (raw.startIndex + $0.range.lowerBound)..<(raw.startIndex + $0.range.upperBound) }
        return .success(ClientMessage(type: type, id: id, raw: raw, dataRange: data))
    }

    /// A JSON string's text from its quoted bytes; escapes (rare in a type or id) go through the JSON decoder.
    private static func string(_ quoted: Data, escaped: Bool) -> String? {
        guard escaped else { return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self) }
        return try? JSONDecoder().decode(String.self, from: quoted)
    }

    /// Decodes `data` as `Payload`; a missing `data` decodes as `empty` when given, otherwise fails. Every failure names
    /// the field it is about (`data.channels[2]`), so a client can tell which value to fix.
    public func decodeData<Payload: Decodable>(_ type: Payload.Type, empty: Payload? = nil) -> Result<Payload, ProtocolFailure> {
        guard let data else {
            if let empty { return .success(empty) }
            return .failure(.init(code: .invalidMessage, message: "`data` is required for \(self.type)", requestID: id))
        }
        do {
            return .success(try JSONDecoder().decode(Payload.self, from: data))
        } catch let DecodingError.keyNotFound(key, context) {
            return .failure(.init(code: .invalidMessage, message: "`\(Self.field(context.codingPath + [key]))` is required", requestID: id))
        } catch let DecodingError.typeMismatch(_, context) {
            return .failure(.init(code: .invalidMessage, message: "`\(Self.field(context.codingPath))` has the wrong type", requestID: id))
        } catch let DecodingError.valueNotFound(_, context) {
            return .failure(.init(code: .invalidMessage, message: "`\(Self.field(context.codingPath))` must not be null", requestID: id))
        } catch let DecodingError.dataCorrupted(context) {
            // JSONDecoder reports a number an integer field cannot hold (1e300, 0.5, 2^64) as "not valid JSON" with no
            // coding path; the payload's recorded schema finds the field.
            let unfit = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])).flatMap {
                PayloadSchema(recording: Payload.self).firstUnfitInteger(in: $0)
            }
            let field = unfit ?? Self.field(context.codingPath)
            let problem = unfit == nil ? "is invalid" : "must be an integer in range"
            return .failure(.init(code: .invalidMessage, message: "`\(field)` \(problem)", requestID: id))
        } catch {
            return .failure(.init(code: .invalidMessage, message: "`data` does not fit \(self.type)", requestID: id))
        }
    }

    /// `data.channels[2].id` for a coding path inside `data`.
    static func field(_ path: [any CodingKey]) -> String {
        var text = "data"
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// One pass over a frame's bytes: checks that it is one JSON value (RFC 8259, nesting at most `maxDepth` deep) and
/// notes where the top-level object's `type`, `id` and `data` values are. Nothing is decoded or allocated per value.
struct EnvelopeScanner {
    enum Kind { case string, number, null, other }

    struct Value {
        let kind: Kind
        /// The value's bytes (a string's with its quotes).
        let range: Range<Int>
        /// A string with a backslash escape.
        let escaped: Bool
    }

    struct Fields {
        var type: Value?
        var id: Value?
        var data: Value?
    }

    enum Outcome {
        case notJSON
        case notObject
        case object(Fields)
    }

    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var escaped = false

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func envelope() -> Outcome {
        skipSpace()
        guard peek == UInt8(ascii: "{") else {
            guard value() != nil, atEnd else { return .notJSON }
            return .notObject
        }
        index += 1
        var fields = Fields()
        skipSpace()
        if peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipSpace()
                let keyStart = index
                guard peek == UInt8(ascii: "\""), string() else { return .notJSON }
                let key = bytes[(keyStart + 1)..<(index - 1)]
                let keyEscaped = escaped
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return .notJSON }
                index += 1
                skipSpace()
                guard let value = value() else { return .notJSON }
                if !keyEscaped {
                    if key.elementsEqual("type".utf8) {
                        fields.type = value
                    } else if key.elementsEqual("id".utf8) {
                        fields.id = value
                    } else if key.elementsEqual("data".utf8) {
                        fields.data = value
                    }
                }
                skipSpace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard peek == UInt8(ascii: "}") else { return .notJSON }
                index += 1
                break
            }
        }
        return atEnd ? .object(fields) : .notJSON
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private var atEnd: Bool {
        var copy = self
        copy.skipSpace()
        return copy.index == bytes.count
    }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// One value from `index` (containers without recursion: a stack of what is open), or nil when it is not JSON.
    private mutating func value() -> Value? {
        let start = index
        var open: [UInt8] = []
        var kind = Kind.other
        var wasEscaped = false
        while true {
            skipSpace()
            guard let byte = peek else { return nil }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < Self.maxDepth else { return nil }
                index += 1
                skipSpace()
                if peek == (byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                } else {
                    open.append(byte)
                    if byte == UInt8(ascii: "{"), !member() { return nil }
                    continue
                }
            case UInt8(ascii: "\""):
                guard string() else { return nil }
                kind = .string
                wasEscaped = escaped
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard number() else { return nil }
                kind = .number
            case UInt8(ascii: "t"): guard literal("true") else { return nil }
            case UInt8(ascii: "f"): guard literal("false") else { return nil }
            case UInt8(ascii: "n"):
                guard literal("null") else { return nil }
                kind = .null
            default: return nil
            }
            // After a value: close what ends here, or go on to the next element.
            while let container = open.last {
                skipSpace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    if container == UInt8(ascii: "{"), !member() { return nil }
                    break
                }
                guard peek == (container == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
                index += 1
                open.removeLast()
            }
            if open.isEmpty {
                let container = bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[")
                return Value(kind: container ? .other : kind, range: start..<index, escaped: wasEscaped)
            }
        }
    }

    /// `"key":` inside an object.
    private mutating func member() -> Bool {
        skipSpace()
        guard peek == UInt8(ascii: "\""), string() else { return false }
        skipSpace()
        guard peek == UInt8(ascii: ":") else { return false }
        index += 1
        return true
    }

    /// A string from its opening quote; sets `escaped`.
    private mutating func string() -> Bool {
        index += 1
        escaped = false
        while let byte = peek {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return true
            case UInt8(ascii: "\\"):
                escaped = true
                guard let next = peek else { return false }
                index += 1
                switch next {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    for _ in 0..<4 {
                        guard let hex = peek, Self.isHex(hex) else { return false }
                        index += 1
                    }
                default: return false
                }
            case 0..<0x20: return false
            default: continue
            }
        }
        return false
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
        } else if !digits() {
            return false
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return false }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return false }
        }
        return true
    }

    private mutating func digits() -> Bool {
        let start = index
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index > start
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }
}

/// An id that clients send as a string or a number.
public struct FlexibleID: Decodable, Sendable {
    public let value: String

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "id must be a string or number"))
        }
    }
}

/// Error codes of `error` frames.
public enum ErrorCode: String, Sendable {
    case invalidMessage = "INVALID_MESSAGE"
    case unknownType = "UNKNOWN_TYPE"
    case rateLimited = "RATE_LIMITED"
    case forbidden = "FORBIDDEN"
    case unauthorized = "UNAUTHORIZED"
    case serviceUnavailable = "SERVICE_UNAVAILABLE"
    case serviceTimeout = "SERVICE_TIMEOUT"
    case rejected = "REJECTED"
    case internalError = "INTERNAL_ERROR"
}

/// Something to answer with an `error` frame while keeping the connection open.
public struct ProtocolFailure: Error, Sendable {
    public let code: ErrorCode
    public let message: String
    public var requestID: String?
    public var details: [String: String]?

    public init(code: ErrorCode, message: String, requestID: String? = nil, details: [String: String]? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.details = details
    }
}
