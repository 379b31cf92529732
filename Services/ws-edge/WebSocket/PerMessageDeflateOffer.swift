/// One extension a client offers in `Sec-WebSocket-Extensions` (RFC 6455 §9.1), with its parameters in order.
///
/// The grammar: `extension *( "," extension )`, `extension = token *( ";" param )`, `param = token [ "=" (token |
/// quoted-string) ]`, a quoted value unescaped must be a token. An element that breaks it is dropped (as if not
/// offered); the others still count, so one bad offer cannot hide a good one after it.
struct ExtensionOffer: Equatable, Sendable {
    struct Parameter: Equatable, Sendable {
        let name: String
        let value: String?
    }

    let name: String
    let parameters: [Parameter]

    /// The offers of every header line, in order (several lines read as one comma-separated list).
    static func parse(_ headerValues: [String]) -> [ExtensionOffer] {
        var offers: [ExtensionOffer] = []
        for value in headerValues {
            for element in split(Array(value.utf8)[...], at: UInt8(ascii: ",")) {
                if let offer = parseElement(element) { offers.append(offer) }
            }
        }
        return offers
    }

    private static func parseElement(_ element: ArraySlice<UInt8>) -> ExtensionOffer? {
        let parts = split(element, at: UInt8(ascii: ";"))
        guard let first = parts.first else { return nil }
        let name = trimmed(first)
        // An empty list element (`a,,b`) is allowed by the list rule and means nothing.
        if name.isEmpty, parts.count == 1 { return nil }
        guard isToken(name) else { return nil }
        var parameters: [Parameter] = []
        for part in parts.dropFirst() {
            guard let parameter = parameter(trimmed(part)) else { return nil }
            parameters.append(parameter)
        }
        return ExtensionOffer(name: String(decoding: name, as: UTF8.self), parameters: parameters)
    }

    private static func parameter(_ bytes: ArraySlice<UInt8>) -> Parameter? {
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else {
            return isToken(bytes) ? Parameter(name: String(decoding: bytes, as: UTF8.self), value: nil) : nil
        }
        let name = trimmed(bytes[..<equals])
        var raw = trimmed(bytes[(equals + 1)...])
        guard isToken(name) else { return nil }
        if raw.first == UInt8(ascii: "\"") {
            guard let unquoted = unquote(raw) else { return nil }
            raw = unquoted[...]
        }
        guard isToken(raw) else { return nil }
        return Parameter(name: String(decoding: name, as: UTF8.self), value: String(decoding: raw, as: UTF8.self))
    }

    /// A quoted-string's content with its `\` escapes undone; nil when it is not exactly one quoted-string.
    private static func unquote(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        guard bytes.count >= 2, bytes.last == UInt8(ascii: "\"") else { return nil }
        var result: [UInt8] = []
        var escaped = false
        for byte in bytes.dropFirst().dropLast() {
            if escaped {
                result.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                return nil
            } else {
                result.append(byte)
            }
        }
        return escaped ? nil : result
    }

    /// Splits at `separator` outside quoted strings. An unterminated quote runs to the end, where the element is then
    /// refused by `unquote`.
    private static func split(_ bytes: ArraySlice<UInt8>, at separator: UInt8) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var quoted = false
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if quoted {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == separator {
                parts.append(bytes[start..<index])
                start = index + 1
            }
        }
        parts.append(bytes[start..<bytes.endIndex])
        return parts
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    private static let tokenSymbols = Set("!#$%&'*+-.^_`|~".utf8)

    /// RFC 7230's `token`: one or more visible ASCII characters that are not separators.
    private static func isToken(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty
            && bytes.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
                default: tokenSymbols.contains(byte)
                }
            }
    }
}
