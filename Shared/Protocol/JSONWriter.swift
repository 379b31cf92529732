/// Appends JSON text to a byte buffer without an encoder: the one JSON string escaper of every process (frames
/// rebuilt every tick are written directly, copying numeric Redis values as they are).
///
/// Strings get exactly the escapes `JSONEncoder` writes (`\" \\ \b \f \n \r \t`, other controls `\u00xx`), so a
/// frame is the same bytes whichever writer built it.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    public mutating func integer(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A JSON string with the escapes RFC 8259 requires; invalid UTF-8 becomes U+FFFD.
    public mutating func string(_ utf8: some Collection<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        if utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 < 0x80 }) {
            bytes.append(contentsOf: utf8)
        } else {
            for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
                switch scalar {
                case "\"": raw("\\\"")
                case "\\": raw("\\\\")
                case "\n": raw("\\n")
                case "\r": raw("\\r")
                case "\t": raw("\\t")
                case "\u{08}": raw("\\b")
                case "\u{0C}": raw("\\f")
                case _ where scalar.value < 0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(scalar.value >> 4)], hex[Int(scalar.value & 0xf)]])
                default:
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func string(_ text: String) {
        string(Array(text.utf8))
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.string(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// True when `text` is a JSON number (RFC 8259 §6), so it can be copied into the output as it is.
    public static func isJSONNumber(_ text: some Collection<UInt8>) -> Bool {
        var index = text.startIndex
        func peek() -> UInt8? { index < text.endIndex ? text[index] : nil }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if peek() == UInt8(ascii: "-") { index = text.index(after: index) }
        guard let first = peek(), isDigit(first) else { return false }
        index = text.index(after: index)
        if first != UInt8(ascii: "0") {
            while isDigit(peek()) { index = text.index(after: index) }
        }
        if peek() == UInt8(ascii: ".") {
            index = text.index(after: index)
            guard isDigit(peek()) else { return false }
            while isDigit(peek()) { index = text.index(after: index) }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index = text.index(after: index)
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index = text.index(after: index) }
            guard isDigit(peek()) else { return false }
            while isDigit(peek()) { index = text.index(after: index) }
        }
        return index == text.endIndex
    }
}
