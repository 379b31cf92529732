import Hummingbird
import NIOCore

/// The edge's request context: Hummingbird's core storage and the peer's address (for per-IP policy).
struct EdgeRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
