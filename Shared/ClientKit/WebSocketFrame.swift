/// Client frames written byte by byte (RFC 6455 §5.2): for load generators that must cost nothing, and for the frames a
/// well-formed client library refuses to send (bad opcodes, reserved bits, unmasked, oversized control frames).
///
/// Where a well-formed client is enough, tests use `WSClient` (TestSupport's `TestWebSocket`) instead.
public enum WebSocketFrame {
    /// The masking key of every frame written here. RFC 6455 wants it unpredictable to protect proxies from cache
    /// poisoning; a test client talking to its own server needs it only to be present.
    public static let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]

    /// A masked client frame: FIN and `opcode` (text 0x1, binary 0x2, ping 0x9, pong 0xA), or any `first` byte.
    public static func masked(_ payload: [UInt8], opcode: UInt8 = 0x1, first: UInt8? = nil) -> [UInt8] {
        var frame: [UInt8] = [first ?? (0x80 | opcode)]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        return frame
    }

    /// A masked text frame.
    public static func text(_ text: String) -> [UInt8] { masked(Array(text.utf8)) }
}
