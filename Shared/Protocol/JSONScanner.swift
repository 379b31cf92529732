/// Reads JSON of a known, small shape straight from the frame's bytes, without building a value tree.
///
/// `http.request` and its reply have fixed shapes (`ForwardedRequest`, `ForwardedResponse`); `JSONDecoder` spent more
/// CPU on them than the work they carry. A reader walks one object member by member and takes the values it wants; on
/// anything it does not expect it answers nil, and its caller falls back to `JSONDecoder`, which then decides. Every
/// step is bounds-checked: a frame is input from another process and may be truncated or hostile.
public struct JSONScanner {
    public let bytes: [UInt8]
    public private(set) var index = 0

    /// Deepest nesting `skipValue()` follows before giving up.
    public static let maxDepth = 64

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// Consumes `{`; false when the next value is not an object.
    public mutating func openObject() -> Bool {
        skipWhitespace()
        guard current == UInt8(ascii: "{") else { return false }
        index += 1
        return true
    }

    /// The next member's key, its `:` consumed; nil at the object's end (`}` consumed) or on malformed input, which
    /// `failed` then tells apart. `first` is true for the first call on an object.
    public mutating func nextKey(first: inout Bool, failed: inout Bool) -> [UInt8]? {
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return nil
        }
        if !first {
            guard current == UInt8(ascii: ",") else {
                failed = true
                return nil
            }
            index += 1
            skipWhitespace()
        }
        first = false
        guard let key = stringBytes() else {
            failed = true
            return nil
        }
        skipWhitespace()
        guard current == UInt8(ascii: ":") else {
            failed = true
            return nil
        }
        index += 1
        return key
    }

    /// True when the next value is `null` (consumed).
    public mutating func null() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    /// A boolean literal.
    public mutating func bool() -> Bool? {
        skipWhitespace()
        if index + 4 <= bytes.count, bytes[index..<index + 4].elementsEqual("true".utf8) {
            index += 4
            return true
        }
        if index + 5 <= bytes.count, bytes[index..<index + 5].elementsEqual("false".utf8) {
            index += 5
            return false
        }
        return nil
    }

    /// A JSON integer that fits `Int`; nil for fractions, exponents or overflow.
    public mutating func integer() -> Int? {
        skipWhitespace()
        let negative = current == UInt8(ascii: "-")
        if negative { index += 1 }
        var value = 0
        var digits = 0
        while let byte = current, byte >= 0x30, byte <= 0x39 {
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int(byte - 0x30))
            guard !overflowA, !overflowB else { return nil }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0, current != UInt8(ascii: "."), current != UInt8(ascii: "e"), current != UInt8(ascii: "E") else { return nil }
        return negative ? -value : value
    }

    /// A string value as text (escapes resolved).
    public mutating func string() -> String? {
        stringBytes().map { String(decoding: $0, as: UTF8.self) }
    }

    /// A string value as UTF-8 bytes, escapes resolved; nil when the next value is not a well-formed string.
    ///
    /// Raw control characters are refused (RFC 8259 requires them escaped), as `JSONDecoder` refuses them.
    public mutating func stringBytes() -> [UInt8]? {
        skipWhitespace()
        guard current == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        // The common case: no escape, one copy of the slice.
        while let byte = current {
            if byte == UInt8(ascii: "\"") {
                index += 1
                return Array(bytes[start..<index - 1])
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { return nil }
            index += 1
        }
        guard current != nil else { return nil }
        var out = Array(bytes[start..<index])
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard let escaped = current else { return nil }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                out.append(byte)
            }
        }
        return nil
    }

    /// The code point of `\uXXXX` (after the `u`), surrogate pairs joined; nil for a lone surrogate or bad hex.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        if high >= 0xD800 && high < 0xDC00 {
            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
            index += 2
            guard let low = hex4(), low >= 0xDC00 && low < 0xE000 else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(high)
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// An object of string values, each handed to `member`; false on anything else.
    public mutating func stringMembers(_ member: (_ key: [UInt8], _ value: [UInt8]) -> Void) -> Bool {
        guard openObject() else { return false }
        var first = true
        var failed = false
        while let key = nextKey(first: &first, failed: &failed) {
            guard let value = stringBytes() else { return false }
            member(key, value)
        }
        return !failed
    }

    /// An array of strings; nil on anything else.
    public mutating func stringArray() -> [String]? {
        skipWhitespace()
        guard current == UInt8(ascii: "[") else { return nil }
        index += 1
        var items: [String] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return items
        }
        while true {
            guard let item = string() else { return nil }
            items.append(item)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return items
            default: return nil
            }
        }
    }

    /// Skips one value of any kind; false when it is malformed or nested deeper than `maxDepth`.
    public mutating func skipValue() -> Bool {
        var depth = 0
        repeat {
            skipWhitespace()
            guard let byte = current else { return false }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= Self.maxDepth else { return false }
                index += 1
                continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return false }
                depth -= 1
                index += 1
            case UInt8(ascii: "\""):
                guard stringBytes() != nil else { return false }
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard depth > 0 else { return false }
                index += 1
                continue
            default:
                let start = index
                while let next = current, !Self.isDelimiter(next) { index += 1 }
                guard index > start else { return false }
            }
        } while depth > 0
        return true
    }

    /// True when only whitespace is left (a reader checks this after the top-level object).
    public mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "{"),
            UInt8(ascii: "["), 0x20, 0x0A, 0x0D, 0x09:
            true
        default: false
        }
    }
}

extension [UInt8] {
    /// Whether these bytes spell `text` (keys are compared without making a `String`).
    public func spells(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { self.elementsEqual($0) }
    }
}
