import NIOCore

/// The bounds of one kind of WebSocket connection (`/ws` and the permissions endpoint, or the echo endpoint).
struct WebSocketSettings: Sendable {
    /// Largest message, reassembled from its fragments (`SWITCHBOARD_WS_MAX_FRAME_BYTES`); past it the edge closes with 1009.
    var messageLimit: Int
    /// Unsent bytes the edge holds for the connection (`SWITCHBOARD_WS_QUEUE_BYTES`): the channel's high watermark.
    var queueBytes: Int
    /// Protocol pings (`SWITCHBOARD_WS_PING_SECONDS`; nil: none); a peer that has not answered by the next one is dropped.
    var pingInterval: TimeAmount?
    /// How long a close the edge started waits for the client's close frame.
    var closeTimeout: TimeAmount = .seconds(5)
    /// Service calls waiting on one connection before the edge stops reading its socket.
    var maxPendingCalls = 32

    /// Room for the frame headers around `queueBytes` of payload: a frame of exactly the bound still fits.
    var waterMark: ChannelOptions.Types.WriteBufferWaterMark {
        let high = max(2, queueBytes) + 64
        return .init(low: max(1, high / 2), high: high)
    }
}
