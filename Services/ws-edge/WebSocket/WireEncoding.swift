import NIOCore

/// How one connection's client reads the edge's JSON frames. Fixed when the connection is made; a fan-out prepares
/// each distinct encoding among its members once and writes the same bytes to all of them.
struct WireEncoding: Hashable, Sendable {
    /// Socket.IO: a frame `{"type":T,"data":D}` goes out as the event packet `42["T",D]`.
    var socketIO = false
    /// permessage-deflate was negotiated: frames from `PerMessageDeflate.threshold` bytes up go out compressed.
    var deflate = false

    static let plain = WireEncoding()

    /// The bytes of one frame for this encoding.
    func prepare(_ json: ByteBuffer) -> WirePayload {
        let bytes = socketIO ? SocketIOPacket.event(fromFrame: json) : json
        return WirePayload(bytes: bytes, compressed: false)
    }
}

/// A frame ready for the wire: its bytes, and whether they are compressed (RSV1 on the WebSocket frame).
struct WirePayload: Sendable {
    var bytes: ByteBuffer
    var compressed: Bool
}
