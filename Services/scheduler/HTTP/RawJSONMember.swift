/// The bytes of one top-level member's value in a JSON object, exactly as the sender wrote them.
///
/// A broadcast's `data` is forwarded to clients unchanged (alarmsrv's numbers, key order and spelling included);
/// decoding and re-encoding it would rewrite `25.0` as `25` and reorder keys. Only for text that already parsed as a
/// JSON object: the scan trusts the grammar and only tracks strings (with escapes) and nesting.
enum RawJSONMember {
    static func value(of name: String, in text: [UInt8]) -> ArraySlice<UInt8>? {
        var index = 0
        let bytes = text
        func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }
        /// The end of the string starting at `index` (after its closing quote).
        func stringEnd(from start: Int) -> Int? {
            var cursor = start + 1
            while cursor < bytes.count {
                switch bytes[cursor] {
                case UInt8(ascii: "\\"): cursor += 2
                case UInt8(ascii: "\""): return cursor + 1
                default: cursor += 1
                }
            }
            return nil
        }
        /// The end of the value starting at `index`.
        func valueEnd(from start: Int) -> Int? {
            var cursor = start
            var depth = 0
            while cursor < bytes.count {
                let byte = bytes[cursor]
                switch byte {
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(from: cursor) else { return nil }
                    cursor = end
                    if depth == 0 { return cursor }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return cursor }
                    depth -= 1
                    if depth == 0 { return cursor + 1 }
                case UInt8(ascii: ","):
                    if depth == 0 { return cursor }
                default: break
                }
                cursor += 1
            }
            return depth == 0 ? cursor : nil
        }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let keyEnd = stringEnd(from: index) else { return nil }
            let key = bytes[(index + 1)..<(keyEnd - 1)]
            index = keyEnd
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            guard let end = valueEnd(from: index) else { return nil }
            var valueEndTrimmed = end
            while valueEndTrimmed > index, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[valueEndTrimmed - 1]) { valueEndTrimmed -= 1 }
            if key.elementsEqual(name.utf8) { return bytes[index..<valueEndTrimmed] }
            index = end
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }
}
