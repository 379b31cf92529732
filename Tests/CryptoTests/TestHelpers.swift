import OpenSSLCrypto

/// Hex literal to bytes for test vectors; whitespace is ignored so long vectors can be split into blocks.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text.filter { !$0.isWhitespace }) else { fatalError("bad hex literal in test: \(text)") }
    return bytes
}

func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// Repeats one byte `count` times (RFC 4231 keys and messages).
func repeated(_ byte: UInt8, _ count: Int) -> [UInt8] {
    [UInt8](repeating: byte, count: count)
}
