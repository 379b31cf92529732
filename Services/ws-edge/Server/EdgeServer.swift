import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The edge's listener: HTTP and WebSocket on one port, optionally shared with other edges through SO_REUSEPORT.
///
/// Hummingbird's `Application` binds with SO_REUSEADDR only, so the edge runs its own NIO listener around Hummingbird's
/// router and its child channel. On SIGTERM it stops accepting, asks every WebSocket to close with 1001 (going away, so
/// clients reconnect — to another edge when there are several), and gives connections a grace period to finish.
struct EdgeServer<Responder: HTTPResponder>: Service where Responder.Context == EdgeRequestContext {
    let host: String
    let port: Int
    let reusePort: Bool
    let responder: Responder
    let registry: ConnectionRegistry
    let makeChannel: @Sendable (@escaping HTTPChannelHandler.Responder) -> EdgeChannel
    let serverName: String
    let drainGrace: Duration
    let connectionLimiter: ConnectionLimiter
    let logger: Logger

    func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let serverName = self.serverName
        let channelSetup = makeChannel { request, writer, channel in
            let context = EdgeRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                logger.debug("unhandled error answering \(request.uri.path): \(error)")
                response = Response(status: .internalServerError)
            }
            response.headers[.server] = serverName
            try await writer.write(response: response.head, body: response.body)
        }
        var bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            // NIO keeps a connection's last receive buffer for the next read: 2 KiB by default, a quarter of an idle
            // connection's memory. Client frames are small; a large read grows the buffer for as long as it is needed.
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536))
        if reusePort {
            bootstrap = bootstrap.serverChannelOption(ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        }
        let limiter = connectionLimiter
        let server = try await bootstrap.bind(host: host, port: port) { (channel: any Channel) -> EventLoopFuture<EdgeChannel.Value> in
            // Counted before the connection has sent anything; a refused one is closed at once, unanswered.
            let peer = ConnectionLimiter.key(for: channel)
            if let refusal = limiter.admit(peer) {
                let reason = refusal == .edgeFull ? "edge_full" : "per_ip"
                Counter(label: "switchboard_http_connections_refused_total", dimensions: [("reason", reason)]).increment()
                logger.debug("refusing a connection from \(peer): \(reason)")
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(ConnectionRefused())
            }
            channel.closeFuture.whenComplete { _ in limiter.release(peer) }
            let setup = channelSetup.setup(channel: channel, logger: logger)
            setup.whenFailure { _ in channel.close(promise: nil) }
            return setup
        }
        logger.info("listening on \(host):\(port)\(reusePort ? " (SO_REUSEPORT)" : "")")

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await value in inbound {
                            // Detached, so a connection does not inherit the service's graceful-shutdown handler.
                            connections.addTask {
                                let task = Task.detached { await channelSetup.handle(value: value, logger: logger) }
                                await withTaskCancellationHandler {
                                    await task.value
                                } onCancel: {
                                    task.cancel()
                                }
                            }
                        }
                    }
                }
                // WebSockets live in their pipelines, not in tasks: the drain lasts until the last one has closed.
                while WebSocketConnectionHandler.openSockets.load(ordering: .relaxed) > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            group.addTask {
                // Returns when a graceful shutdown starts (or the group is cancelled).
                try? await gracefulShutdown()
                server.channel.close(promise: nil)
                for connection in registry.all { connection.requestClose(code: 1001, reason: "edge shutting down") }
                try await Task.sleep(for: drainGrace)
                throw CancellationError()
            }
            do {
                try await group.next()
            } catch is CancellationError {
                logger.info("drain period over; closing what is left")
            }
            group.cancelAll()
        }
    }
}

/// The accept-time refusal: NIO drops a child whose setup failed, and the edge has already closed it.
struct ConnectionRefused: Error {}
