import CZlib
import NIOCore
import Synchronization

/// A zlib raw-DEFLATE compressor for whole messages, each compressed alone (the edge never takes context over).
///
/// Used by one thread at a time: `PerMessageDeflaterPool` hands it out and takes it back, which is why the unchecked
/// `Sendable` is sound. Compressed bytes go to a scratch buffer it keeps, then into a `ByteBuffer` of exactly their
/// size, so a frame queued for many members holds no slack.
final class PerMessageDeflater: @unchecked Sendable {
    let windowBits: Int
    private let raw: OpaquePointer
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Scratch bigger than this is given back after the message (a rare large frame does not pin its size).
    private static let keptScratch = 1 << 20

    init?(windowBits: Int, level: Int) {
        guard let raw = sb_deflater_new(Int32(windowBits), Int32(level)) else { return nil }
        self.raw = raw
        self.windowBits = windowBits
    }

    deinit {
        scratch.deallocate()
        sb_deflater_free(raw)
    }

    /// The message compressed (RFC 7692 §7.2.1: no trailing 00 00 ff ff), or nil when zlib failed or, unless
    /// `evenIfLarger`, the result is not smaller.
    func compress(_ message: ByteBuffer, evenIfLarger: Bool = false) -> ByteBuffer? {
        let bound = sb_deflater_bound(raw, message.readableBytes)
        if scratch.count < bound {
            scratch.deallocate()
            scratch = .allocate(byteCount: bound, alignment: 16)
        }
        defer {
            if scratch.count > Self.keptScratch {
                scratch.deallocate()
                scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            }
        }
        let written = message.withUnsafeReadableBytes { input in
            sb_deflater_message(
                raw, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
                scratch.baseAddress?.assumingMemoryBound(to: UInt8.self), scratch.count, 0)
        }
        guard written >= 0, evenIfLarger || written < message.readableBytes else { return nil }
        return ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: scratch[..<Int(written)]))
    }
}

/// The edge's compressors, shared by every thread that prepares frames (event loops for a connection's own frames,
/// the publishing thread for a fan-out): a thread takes one for one message and puts it back, so there are only as
/// many as messages compressed at the same moment, never one per connection.
final class PerMessageDeflaterPool: Sendable {
    static let shared = PerMessageDeflaterPool()

    /// zlib's default: a 16 KB data_batch shrinks 5–10× in well under a millisecond, once for all members.
    static let level = 6
    /// Idle compressors kept per window size; more are freed when returned.
    private static let kept = 8
    private let idle = Mutex<[Int: [PerMessageDeflater]]>([:])

    /// `message` compressed with a window of at most `windowBits`, or nil when it goes out as it is.
    func compress(_ message: ByteBuffer, windowBits: Int, evenIfLarger: Bool = false) -> ByteBuffer? {
        let bits = min(15, max(8, windowBits))
        guard let deflater = take(bits) ?? PerMessageDeflater(windowBits: bits, level: Self.level) else { return nil }
        defer { put(deflater) }
        return deflater.compress(message, evenIfLarger: evenIfLarger)
    }

    private func take(_ bits: Int) -> PerMessageDeflater? {
        idle.withLock { $0[bits]?.popLast() }
    }

    private func put(_ deflater: PerMessageDeflater) {
        idle.withLock { idle in
            if idle[deflater.windowBits, default: []].count < Self.kept { idle[deflater.windowBits, default: []].append(deflater) }
        }
    }
}
