/// Hand-written JSON text for the few frames whose byte shape is a contract (key order, no escaped slashes).
///
/// `JSONEncoder` does not promise key order and escapes `/`, which base64 signatures are full of; the `/getCode`
/// responses and the e-port requests keep the exact shapes of the bridge they replace.
enum JSONText {
    /// A JSON string literal for `text`, escaping only what JSON requires (quotes, backslash, control characters).
    static func quote(_ text: String) -> String {
        // Signatures, hex and cert numbers need no escaping: one copy.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        // Byte by byte: every byte to escape is ASCII, so multi-byte UTF-8 passes through untouched.
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)],
                    hexDigits[Int(byte & 0x0F)],
                ]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
