extension JSONWriter {
    /// A JSON string from raw bytes (an HTTP body, a header value) in one pass, copying runs that need no escape.
    ///
    /// The output is byte for byte what `string(_:)` writes (the same escapes, invalid UTF-8 as U+FFFD), without its
    /// per-character `String` work: a JSON body full of quotes costs a few copies, not a conversion per character.
    public mutating func string(utf8 buffer: UnsafeRawBufferPointer) {
        var ascii = true
        for byte in buffer where byte >= 0x80 {
            ascii = false
            break
        }
        if !ascii {
            var text = String(decoding: buffer, as: UTF8.self)
            // Invalid UTF-8 was replaced: escape the repaired text, as `string(_:)` does.
            if !text.utf8.elementsEqual(buffer) {
                text.withUTF8 { escaped(UnsafeRawBufferPointer($0)) }
                return
            }
        }
        escaped(buffer)
    }

    /// `string(utf8:)` for a `String`, through its contiguous UTF-8.
    public mutating func string(fast text: String) {
        var text = text
        text.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Valid UTF-8 as a JSON string: `"` `\` and controls escaped, every other byte copied.
    private mutating func escaped(_ buffer: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<buffer.count {
            let byte = buffer[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[runStart..<index])) }
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        if runStart < buffer.count { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[runStart...])) }
        bytes.append(UInt8(ascii: "\""))
    }
}
