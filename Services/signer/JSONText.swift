import SwitchboardProtocol

/// Hand-written JSON text for the few frames whose byte shape is a contract (key order, no escaped slashes).
///
/// `JSONEncoder` does not promise key order and escapes `/`, which base64 signatures are full of; the `/getCode`
/// responses and the e-port requests keep the exact shapes of the bridge they replace.
enum JSONText {
    /// A JSON string literal for `text`, escaping only what JSON requires (the one escaper, `JSONWriter`), through the
    /// writer's byte path: `JSONWriter.quoted` goes scalar by scalar once the text has one non-ASCII character, and the
    /// `/getCode` answers all carry some (`成功`).
    static func quote(_ text: String) -> String {
        var writer = JSONWriter(capacity: text.utf8.count + 2)
        writer.string(fast: text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
