/// Hand-written JSON text for the few frames whose byte shape is a contract (key order, no escaped slashes).
///
/// `JSONEncoder` does not promise key order and escapes `/`, which base64 signatures are full of; the `/getCode`
/// responses and the e-port requests keep the exact shapes of the bridge they replace.
enum JSONText {
    /// A JSON string literal for `text`, escaping only what JSON requires (quotes, backslash, control characters).
    static func quote(_ text: String) -> String {
        // Signatures, hex and cert numbers need no escaping: one copy.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
