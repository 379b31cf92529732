import NIOCore

/// How one connection's client reads the edge's JSON frames. Fixed when the connection is made; a fan-out prepares
/// each distinct encoding among its members once and writes the same bytes to all of them.
struct WireEncoding: Hashable, Sendable {
    /// Socket.IO: a frame `{"type":T,"data":D}` goes out as the event packet `42["T",D]`.
    var socketIO = false
    /// permessage-deflate was negotiated: frames from `compression.minBytes` bytes up go out compressed.
    var deflate = false
    /// The window and threshold of that compression (what the client negotiated).
    var compression = PerMessageDeflate.Outbound()

    static let plain = WireEncoding()

    /// The bytes of one frame for this encoding.
    func prepare(_ json: ByteBuffer) -> WirePayload {
        let bytes = socketIO ? SocketIOPacket.event(fromFrame: json) : json
        if deflate, let compressed = compression.compress(bytes) { return WirePayload(bytes: compressed, compressed: true, frame: json) }
        return WirePayload(bytes: bytes, compressed: false)
    }
}

/// A frame ready for the wire: its bytes, and whether they are compressed (RSV1 on the WebSocket frame).
struct WirePayload: Sendable {
    var bytes: ByteBuffer
    var compressed: Bool
    /// The edge's frame these bytes were prepared from, when they differ from it (compressed): what a refusal of an
    /// oversized frame measures and names, so every client of a frame is treated alike.
    var frame: ByteBuffer?

    init(bytes: ByteBuffer, compressed: Bool, frame: ByteBuffer? = nil) {
        self.bytes = bytes
        self.compressed = compressed
        self.frame = frame
    }

    /// The frame before compression.
    var plain: ByteBuffer { frame ?? bytes }
}
