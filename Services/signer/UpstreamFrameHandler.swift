import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket

/// The end of an upstream connection's pipeline: checks the `open` handshake frame, hands every later text frame to
/// `UpstreamConnection.deliver` on the event loop, answers pings and closes on a close frame.
///
/// A channel handler rather than an async WebSocket client: the reply reaches its waiting caller straight from the event
/// loop that read it.
final class UpstreamFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How far the connection got, for the error its waiters see when it closes.
    enum Stage: Sendable {
        case upgrading
        case awaitingOpen
        case open
    }

    /// What the handler reports; `UpstreamConnection` in the signer, a recorder in tests.
    protocol Sink: AnyObject, Sendable {
        func opened(_ channel: any Channel)
        func deliver(_ text: String)
        func close(_ error: UpstreamError)
        func channelClosed(_ stage: Stage)
    }

    private let sink: any Sink
    private var stage = Stage.awaitingOpen
    private var reported = false

    init(sink: any Sink) {
        self.sink = sink
    }

    /// A client text frame (masked, as RFC 6455 requires of clients).
    static func textFrame(_ buffer: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            guard stage == .open else {
                do throws(UpstreamError) {
                    try EPortFrames.checkHandshake(text)
                    stage = .open
                    sink.opened(context.channel)
                } catch {
                    fail(error, context: context)
                }
                return
            }
            sink.deliver(text)
        case .binary:
            if stage != .open { fail(.handshake("首帧不是文本帧"), context: context) }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: context.channel.allocator.buffer(capacity: 0))
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        report()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(stage == .open ? .closed("\(error)") : .handshake("\(error)"), context: context)
    }

    private func fail(_ error: UpstreamError, context: ChannelHandlerContext) {
        reported = true
        sink.close(error)
        context.close(promise: nil)
    }

    private func report() {
        guard !reported else { return }
        reported = true
        sink.channelClosed(stage)
    }
}

/// Sends the HTTP upgrade request once the TCP (or TLS) connection is up; an answer that reaches it means the upgrade
/// was refused. Removed by the upgrade handler once the WebSocket is established.
final class UpstreamUpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let target: UpstreamURL
    private let sink: any UpstreamFrameHandler.Sink
    private var failed = false

    init(target: UpstreamURL, sink: any UpstreamFrameHandler.Sink) {
        self.target = target
        self.sink = sink
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let response) = unwrapInboundIn(data) {
            fail(.connect("\(target.text): WebSocket 升级被拒绝: HTTP \(response.status.code)"), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.connect("\(target.text): \(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !failed { sink.channelClosed(.upgrading) }
        context.fireChannelInactive()
    }

    private func fail(_ error: UpstreamError, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        sink.close(error)
        context.close(promise: nil)
    }
}

extension UpstreamFrameHandler {
    /// The whole client pipeline: TLS for `wss://`, HTTP/1 with the WebSocket upgrade, then frames of at most
    /// `UpstreamConnection.maxMessageBytes` (fragments joined) into an `UpstreamFrameHandler`.
    static func configure(_ channel: any Channel, target: UpstreamURL, tls: UpstreamTLS?, connection: any Sink) throws {
        let maxBytes = UpstreamConnection.maxMessageBytes
        let request = UpstreamUpgradeRequest(target: target, sink: connection)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maxBytes, automaticErrorHandling: true) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: maxBytes))
                try channel.pipeline.syncOperations.addHandler(UpstreamFrameHandler(sink: connection))
            }
        }
        let operations = channel.pipeline.syncOperations
        if let tls { try operations.addHandler(try NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname)) }
        let removal = NIOLoopBound(request, eventLoop: channel.eventLoop)
        try operations.addHTTPClientHandlers(
            leftOverBytesStrategy: .forwardBytes,
            withClientUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(removal.value, promise: nil)
                }
            )
        )
        try operations.addHandler(request)
    }
}

/// The TLS client context for a `wss://` upstream (system trust roots).
struct UpstreamTLS: Sendable {
    let context: NIOSSLContext
    let serverHostname: String?

    init(serverHostname host: String) throws {
        context = try NIOSSLContext(configuration: .makeClientConfiguration())
        // SNI takes a name, never an address literal.
        serverHostname = host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }
}

/// `ws://host[:port]/path` or `wss://…`, split for the bootstrap and the upgrade request.
struct UpstreamURL: Sendable, Equatable {
    let text: String
    let secure: Bool
    let host: String
    let port: Int
    let path: String

    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    init?(_ text: String) {
        self.text = text
        let rest: Substring
        if text.hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else if text.hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let tail = rest[authority.endIndex...]
        path = tail.isEmpty ? "/" : (tail.hasPrefix("?") ? "/" + tail : String(tail))
        var hostPart = Substring(authority)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { return nil }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { return nil }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { return nil }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = secure ? 443 : 80
        }
    }
}
