import CZMQ
import Foundation
import Logging
import Metrics
import SwitchboardProtocol
import Synchronization

/// What a handler knows about the request it serves.
public struct RPCContext: Sendable {
    public let requestID: String
    public let method: String
    /// When the caller stops waiting; work past it is wasted.
    public let deadline: Date?
    public let logger: Logger
}

/// The service's side of RPC: one ROUTER socket, each request handled in its own task, replies routed back by identity.
///
/// Handlers run concurrently; a slow one never holds up the others. A request that arrives after its deadline is dropped
/// unanswered, since its caller has already given up.
public final class RPCServer: Sendable {
    public typealias RawHandler = @Sendable (_ request: [UInt8], _ context: RPCContext) async -> [UInt8]

    public let endpoint: String
    private let loop: PollLoop<ServerCommand>
    private let handlers = Mutex<[String: RawHandler]>([:])
    private let incoming: AsyncStream<IncomingRequest>
    private let logger: Logger

    public init(endpoint: String, logger: Logger = Logger(label: "bus.rpc-server")) throws(BusError) {
        self.endpoint = endpoint
        self.logger = logger
        let (stream, continuation) = AsyncStream<IncomingRequest>.makeStream()
        incoming = stream
        loop = PollLoop(name: "rpc-server")
        let driver = try RPCServerDriver(endpoint: endpoint, requests: continuation)
        loop.start(driver)
    }

    /// Registers a typed handler. Throwing an `RPCError` answers `ok:false` with it; any other error answers `internal`.
    public func register<Method: RPCMethod>(
        _ method: Method.Type,
        handler: @escaping @Sendable (Method.Params, RPCContext) async throws -> Method.Result
    ) {
        registerRaw(Method.name) { request, context in
            let params: Method.Params
            do {
                params = try JSONDecoder().decode(RPCRequestParams<Method.Params>.self, from: Data(request)).params
            } catch {
                return Self.encode(RPCResponseEnvelope<Method.Result>(id: context.requestID, error: .badRequest("invalid params: \(error)")))
            }
            do {
                let result = try await handler(params, context)
                return Self.encode(RPCResponseEnvelope(id: context.requestID, result: result))
            } catch let error as RPCError {
                return Self.encode(RPCResponseEnvelope<Method.Result>(id: context.requestID, error: error))
            } catch {
                context.logger.error("\(Method.name) failed: \(error)")
                let failure = RPCError(code: RPCError.internalCode, message: "\(Method.name) failed: \(error)")
                return Self.encode(RPCResponseEnvelope<Method.Result>(id: context.requestID, error: failure))
            }
        }
    }

    /// Registers a handler that reads the whole request frame and writes the whole reply frame itself.
    public func registerRaw(_ method: String, handler: @escaping RawHandler) {
        handlers.withLock { $0[method] = handler }
    }

    /// Serves requests until the task is cancelled or `shutdown()` is called.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await request in incoming {
                group.addTask { await self.serve(request) }
            }
        }
    }

    public func shutdown() {
        loop.stop()
    }

    deinit {
        loop.stop()
    }

    private func serve(_ request: IncomingRequest) async {
        // The head is scanned, not decoded: the handler decodes the frame once for its parameters.
        let id: String
        let method: String
        let wallDeadline: Int64?
        if let head = EnvelopeHead.scan(request.payload), let headID = head.id, let headMethod = head.method {
            (id, method, wallDeadline) = (headID, headMethod, head.deadline)
        } else if let head = try? JSONDecoder().decode(RPCRequestHead.self, from: Data(request.payload)) {
            (id, method, wallDeadline) = (head.id, head.method, head.deadline)
        } else {
            logger.warning("dropping a request frame that is not an RPC envelope")
            return
        }
        let deadline = wallDeadline.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        if let deadline, deadline < Date() {
            logger.debug("dropping \(method) #\(id): its deadline passed before it arrived")
            return
        }
        let context = RPCContext(requestID: id, method: method, deadline: deadline, logger: logger)
        let reply: [UInt8]
        if let handler = handlers.withLock({ $0[method] }) {
            let start = ContinuousClock.now
            reply = await handler(request.payload, context)
            Metrics.Timer(label: "switchboard_rpc_server_duration_seconds", dimensions: [("method", method)])
                .recordNanoseconds(Int64((ContinuousClock.now - start).seconds * 1e9))
        } else {
            let error = RPCError(code: RPCError.unknownMethodCode, message: "unknown method \(method)")
            reply = Self.encode(RPCResponseEnvelope<NoParams>(id: id, error: error))
        }
        loop.post(.reply(identity: request.identity, payload: reply))
    }

    static func encode<Result: Codable>(_ envelope: RPCResponseEnvelope<Result>) -> [UInt8] {
        (try? Array(JSONEncoder().encode(envelope))) ?? Array(#"{"id":"","ok":false,"error":{"code":"internal","message":"encode"}}"#.utf8)
    }
}

struct IncomingRequest: Sendable {
    let identity: [UInt8]
    let payload: [UInt8]
}

enum ServerCommand: Sendable {
    case reply(identity: [UInt8], payload: [UInt8])
}

/// The ROUTER socket, confined to the server's poll thread (`@unchecked Sendable`: handed over once at start).
final class RPCServerDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket]
    private let router: ZMQSocket
    private let requests: AsyncStream<IncomingRequest>.Continuation

    init(endpoint: String, requests: AsyncStream<IncomingRequest>.Continuation) throws(BusError) {
        router = try ZMQSocket(kind: ZMQ_ROUTER)
        // ROUTER drops replies silently at the high-water mark: raise it well above any in-flight window.
        router.setOption(ZMQ_SNDHWM, 100_000)
        router.setOption(ZMQ_RCVHWM, 100_000)
        do {
            try router.bind(endpoint)
        } catch {
            router.close()
            throw error
        }
        self.requests = requests
        sockets = [router]
    }

    func handle(_ command: ServerCommand) {
        switch command {
        case .reply(let identity, let payload):
            _ = router.send([identity, payload])
        }
    }

    func readable(socketIndex: Int) {
        while let frames = router.receive() {
            guard frames.count >= 2, let payload = frames.last else { continue }
            requests.yield(IncomingRequest(identity: frames[0], payload: payload))
        }
    }

    func pollTimeout() -> Int { -1 }
    func tick() {}

    func close() {
        requests.finish()
        router.close()
    }
}
