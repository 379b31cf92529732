import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The edge's request context: Hummingbird's core storage, the WebSocket upgrade slot, and the peer's address
/// (for per-IP policy).
struct EdgeRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }
}
