import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The edge's request context: Hummingbird's core storage, the WebSocket upgrade slot, and the peer's address
/// (for per-IP policy), and the admission decision of a WebSocket upgrade.
struct EdgeRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let remoteAddress: SocketAddress?
    /// Filled by the WebSocket upgrade check, read once the connection is upgraded.
    let admission = Admission()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }
}
