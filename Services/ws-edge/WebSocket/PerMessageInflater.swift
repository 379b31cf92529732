import CZlib
import NIOCore

/// One client's inbound decompressor (RFC 7692 §7.2.2), made on its first compressed message.
///
/// Its output is bounded: a message may inflate to at most the room its endpoint's message limit leaves, and the
/// output buffer never grows past that room (NIO rounds its capacity up to a power of two), so a zip bomb is refused (1009) having cost no more memory
/// than an honest message of the limit. Without `client_no_context_takeover` the client may refer back into earlier
/// messages, so the window lives as long as the connection; with it, the handler frees this after every message.
final class PerMessageInflater {
    enum Failure: Error, Equatable {
        /// More than the room left in the message.
        case tooLarge
        /// Not valid DEFLATE, or reaching further back than the negotiated window.
        case invalid
    }

    private let raw: OpaquePointer
    let keepsContext: Bool

    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    init?(windowBits: Int, keepsContext: Bool) {
        guard let raw = sb_inflater_new(Int32(min(15, max(8, windowBits)))) else { return nil }
        self.raw = raw
        self.keepsContext = keepsContext
    }

    deinit { sb_inflater_free(raw) }

    /// Before the first frame of each compressed message.
    func beginMessage() -> Bool {
        sb_inflater_begin(raw, keepsContext ? 1 : 0) == 0
    }

    /// The plain bytes of one frame of a compressed message; `final` (the message's last frame) appends the 00 00 ff ff
    /// the sender removed. At most `room` bytes come out.
    func inflate(_ payload: ByteBuffer, final: Bool, room: Int, allocator: ByteBufferAllocator) -> Result<ByteBuffer, Failure> {
        let room = max(0, room)
        var output = allocator.buffer(capacity: min(room, max(256, payload.readableBytes.multipliedReportingOverflow(by: 4).partialValue)))
        if let failure = payload.withUnsafeReadableBytes({ feed($0, into: &output, room: room, allocator: allocator) }) { return .failure(failure) }
        if final, let failure = Self.tail.withUnsafeBytes({ feed($0, into: &output, room: room, allocator: allocator) }) { return .failure(failure) }
        return .success(output)
    }

    /// A buffer of exactly `capacity` bytes holding what `buffer` holds (`reserveCapacity` rounds up to a power of two,
    /// which would let a bomb take twice the room).
    private static func grow(_ buffer: inout ByteBuffer, to capacity: Int, allocator: ByteBufferAllocator) {
        var larger = allocator.buffer(capacity: capacity)
        larger.writeBuffer(&buffer)
        buffer = larger
    }

    private func feed(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, room: Int, allocator: ByteBufferAllocator) -> Failure? {
        var offset = 0
        while true {
            var consumed = 0
            var produced = 0
            var status: Int32 = 0
            let writable: Int
            if output.readableBytes >= room {
                // Full: one more byte out of zlib means the message is larger than allowed (and is never stored).
                var probe: UInt8 = 0
                writable = 1
                status = sb_inflater_run(raw, Self.at(input, offset), input.count - offset, &consumed, &probe, 1, &produced)
                if produced > 0 { return .tooLarge }
            } else {
                if output.writableBytes == 0 { Self.grow(&output, to: min(room, max(output.capacity * 2, 256)), allocator: allocator) }
                writable = min(output.writableBytes, room - output.readableBytes)
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { target in
                    status = sb_inflater_run(
                        raw, Self.at(input, offset), input.count - offset, &consumed, target.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        writable, &produced)
                    return produced
                }
            }
            offset += consumed
            switch status {
            case Int32(SB_INFLATE_DATA_ERROR): return .invalid
            case Int32(SB_INFLATE_STREAM_END): return nil
            default: break
            }
            // Done when all input is in and zlib had output room to spare (nothing of it waits inside).
            if offset >= input.count, produced < writable { return nil }
            // No progress with input left and room to write: zlib is stuck on this data.
            if consumed == 0, produced == 0 { return .invalid }
        }
    }

    private static func at(_ input: UnsafeRawBufferPointer, _ offset: Int) -> UnsafePointer<UInt8>? {
        input.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self) + offset) }
    }
}
