import SwitchboardProtocol

/// Hand-written JSON text for the few frames whose byte shape is a contract (key order, no escaped slashes).
///
/// `JSONEncoder` does not promise key order and escapes `/`, which base64 signatures are full of; the `/getCode`
/// responses and the e-port requests keep the exact shapes of the bridge they replace.
enum JSONText {
    /// A JSON string literal for `text`, escaping only what JSON requires (the one escaper, `JSONWriter`).
    static func quote(_ text: String) -> String {
        JSONWriter.quoted(text)
    }
}
