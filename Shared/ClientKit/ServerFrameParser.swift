/// Splits the byte stream a server sends (unmasked frames, RFC 6455 §5.2) into whole frames.
///
/// Bytes go in as they arrive from `recv`; `next()` hands out each complete frame once. Consumed bytes are dropped in
/// bulk, not per frame, so a reader of thousands of small frames per second stays linear.
public struct ServerFrameParser: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Adds bytes as read (an array slice, or the `UnsafeRawBufferPointer` of a `recv` buffer).
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 65_536 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    /// The next complete frame's opcode and payload, or nil until more bytes arrive.
    public mutating func next() -> (opcode: UInt8, payload: ArraySlice<UInt8>)? {
        nextFrame().map { ($0.opcode, $0.payload) }
    }

    /// `next()` with RSV1, which marks a compressed message (permessage-deflate) on its first frame.
    public mutating func nextFrame() -> (opcode: UInt8, compressed: Bool, payload: ArraySlice<UInt8>)? {
        let available = buffer.count - start
        guard available >= 2 else { return nil }
        var length = Int(buffer[start + 1] & 0x7F)
        var header = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            header = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = (0..<8).reduce(0) { $0 << 8 | Int(buffer[start + 2 + $1]) }
            header = 10
        }
        guard length >= 0, available >= header + length else { return nil }
        let frame = (buffer[start] & 0x0F, buffer[start] & 0x40 != 0, buffer[(start + header)..<(start + header + length)])
        start += header + length
        return frame
    }

    /// The status code of the first close frame (opcode 8) in `stream`, if there is one with a code.
    public static func closeCode(in stream: [UInt8]) -> Int? {
        var parser = ServerFrameParser()
        parser.append(stream)
        while let frame = parser.next() {
            guard frame.opcode == 0x8 else { continue }
            guard frame.payload.count >= 2 else { return nil }
            return Int(frame.payload[frame.payload.startIndex]) << 8 | Int(frame.payload[frame.payload.startIndex + 1])
        }
        return nil
    }
}
