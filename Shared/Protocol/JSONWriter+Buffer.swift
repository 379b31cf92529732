extension JSONWriter {
    /// A JSON string from raw bytes (an HTTP body, a header value) in one pass over them, with no generic per-byte calls.
    ///
    /// ASCII without quotes, backslashes or controls, the usual case, is copied as it is; anything else goes through
    /// `string(_:)`, so escapes and the U+FFFD replacement of invalid UTF-8 stay exactly those of every other frame.
    public mutating func string(utf8 buffer: UnsafeRawBufferPointer) {
        var plain = true
        for byte in buffer where byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        guard plain else {
            string(String(decoding: buffer, as: UTF8.self))
            return
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: buffer)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `string(utf8:)` for a `String`, through its contiguous UTF-8 when it has one.
    public mutating func string(fast text: String) {
        var text = text
        text.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }
}
