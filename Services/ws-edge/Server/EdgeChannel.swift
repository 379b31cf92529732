// The upgrade plumbing follows Hummingbird's HTTP1WebSocketUpgradeChannel (Apache-2.0, the Hummingbird authors);
// what differs is what a refused upgrade answers.
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization

/// The edge's child channel: HTTP/1.1 with a WebSocket upgrade whose refusal is a real HTTP answer.
///
/// Hummingbird answers every refused upgrade with an empty 400, but a client must be able to tell a bad token (401), a
/// forbidden user (403) and a limit (429 with `Retry-After`) apart before any WebSocket exists. So the upgrade decision
/// returns either a handler or a full response, and this channel writes that response when the upgrade does not happen.
/// An upgraded connection is a plain NIO pipeline ending in a `WebSocketConnectionHandler`: no task stays behind for it.
struct EdgeChannel: ServerChildChannel, HTTPChannelHandler {
    typealias MakeHandler = @Sendable (any EventLoop) -> WebSocketConnectionHandler

    /// What the upgrade check decided.
    enum Decision: Sendable {
        case upgrade(MakeHandler)
        case refuse(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer)
    }

    /// The check's answer: decided on the event loop, or work that must wait (it runs in a task).
    enum UpgradeCheck: Sendable {
        case decided(Decision)
        case pending(@Sendable () async -> Decision)
    }

    enum UpgradeResult: Sendable {
        case websocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HTTPResponse, ByteBuffer)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    /// The largest frame the decoder takes (the largest message limit of the WebSocket endpoints).
    let maxFrameSize: Int
    let limits: EdgeHTTPLimits
    /// permessage-deflate for every WebSocket endpoint (`SWITCHBOARD_WS_DEFLATE`); nil: never negotiated.
    let deflate: PerMessageDeflate.Configuration?
    let decide: @Sendable (HTTPRequest, any Channel, Logger) -> UpgradeCheck

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        maxFrameSize: Int,
        limits: EdgeHTTPLimits,
        deflate: PerMessageDeflate.Configuration? = nil,
        decide: @escaping @Sendable (HTTPRequest, any Channel, Logger) -> UpgradeCheck
    ) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.maxFrameSize = maxFrameSize
        self.limits = limits
        self.deflate = deflate
        self.decide = decide
    }

    /// What one connection's upgrade check decided, handed from the check to the pipeline callbacks.
    private final class UpgradeState: Sendable {
        let makeHandler = Mutex<MakeHandler?>(nil)
        let refusal = Mutex<(HTTPResponse, ByteBuffer)?>(nil)
        /// The compression the 101 response agreed to, handed to the handler before it is added.
        let compression = Mutex<PerMessageDeflate.Agreement?>(nil)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let state = UpgradeState()
            let decide = self.decide
            let deflate = self.deflate
            let idleTimeout = limits.idleTimeout
            // The first request head must be complete within the header timeout: NIO's decoder emits nothing before
            // that, so the timer is cancelled where the head is first seen (the upgrade check or the plain-HTTP path).
            // Later requests on a kept-alive connection are bounded by the idle timeout instead.
            let headTimer = channel.eventLoop.scheduleTask(in: limits.headerTimeout) {
                Counter(label: "switchboard_http_header_timeouts_total").increment()
                logger.debug("closing a connection that sent no complete request head in time")
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in headTimer.cancel() }
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: maxFrameSize,
                shouldUpgrade: { channel, head in
                    headTimer.cancel()
                    /// Records what was decided for the pipeline callbacks; the 101's extra headers, or nil to refuse.
                    @Sendable func take(_ decision: Decision) -> HTTPHeaders? {
                        switch decision {
                        case .upgrade(let handler):
                            state.makeHandler.withLock { $0 = handler }
                            var headers = HTTPHeaders()
                            if let deflate,
                                let agreement = PerMessageDeflate.negotiate(head.headers["Sec-WebSocket-Extensions"], configuration: deflate)
                            {
                                state.compression.withLock { $0 = agreement }
                                headers.add(name: "Sec-WebSocket-Extensions", value: agreement.response)
                            }
                            return headers
                        case .refuse(let status, var headers, let body):
                            headers[.contentLength] = String(body.readableBytes)
                            headers[.connection] = "close"
                            let response = HTTPResponse(status: status, headerFields: headers)
                            state.refusal.withLock { $0 = (response, body) }
                            return nil
                        }
                    }
                    let request: HTTPRequest
                    do {
                        request = try HTTPRequest(head, secure: false, splitCookie: false)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                    switch decide(request, channel, logger) {
                    case .decided(let decision):
                        return channel.eventLoop.makeSucceededFuture(take(decision))
                    case .pending(let work):
                        let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                        promise.completeWithTask { take(await work()) }
                        return promise.futureResult
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let make = state.makeHandler.withLock({ $0 }) else { throw ChannelError.inappropriateOperationForState }
                        let handler = make(channel.eventLoop)
                        if let agreement = state.compression.withLock({ $0 }) { handler.adopt(agreement) }
                        try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: handler.settings.waterMark)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return UpgradeResult.websocket
                    }
                }
            )
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    headTimer.cancel()
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        if let (response, body) = state.refusal.withLock({ $0 }) {
                            return UpgradeResult.refused(asyncChannel, response, body)
                        }
                        return UpgradeResult.notUpgraded(asyncChannel)
                    }
                }
            )
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: upgradeConfiguration)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false
            pipeline.enableResponseHeaderValidation = false
            let negotiation = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(upgradeResult: negotiation, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http1):
                await handleHTTP(asyncChannel: http1, logger: logger)
            case .refused(let http1, let response, let body):
                try await http1.executeThenClose { _, outbound in
                    try await outbound.write(contentsOf: [.head(response), .body(body), .end(nil)])
                }
            case .websocket:
                // The pipeline serves the connection from here on.
                return
            }
        } catch {
            logger.debug("connection ended during the upgrade: \(error)")
        }
    }

    /// NIO only upgrades on a connection's first request; a later one asking to upgrade is sent back to reconnect.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectClose: Error {}
        return { request, writer, channel in
            if request.headers[.upgrade]?.lowercased() == "websocket" {
                var location = request.uri.path
                if let query = request.uri.query { location += "?\(query)" }
                try await writer.writeResponse(
                    HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location])
                )
                throw RedirectClose()
            }
            try await responder(request, writer, channel)
        }
    }
}
