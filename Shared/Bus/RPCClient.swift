import CZMQ
import Foundation
import Logging
import Metrics
import SwitchboardProtocol
import Synchronization

/// The caller's side of RPC to one service: one DEALER socket shared by every request, replies matched by id.
///
/// Many requests are in flight at once, each with its own deadline. While the service is down, calls fail at once with
/// `service_unavailable` (no handshaken connection fails the call before it leaves the caller's task; the socket is
/// `ZMQ_IMMEDIATE`, so nothing queues for an absent peer; and a disconnect fails every request in flight). ZeroMQ reconnects by itself, so calls succeed again as soon as the service is back.
public final class RPCClient: Sendable {
    public let service: String
    public let endpoint: String
    private let loop: PollLoop<ClientCommand>
    private let nextID = Atomic<UInt64>(1)
    private let connectedState = SharedFlag()

    public init(service: String, endpoint: String, logger: Logger = Logger(label: "bus.rpc")) throws(BusError) {
        self.service = service
        self.endpoint = endpoint
        self.loop = PollLoop(name: "rpc-\(service)")
        let driver = try RPCClientDriver(service: service, endpoint: endpoint, connected: connectedState, logger: logger)
        loop.start(driver)
    }

    /// Whether a connection to the service is established right now.
    public var isConnected: Bool { connectedState.isSet }

    /// Waits until the socket has connected (for one-shot tools that call right after start); false on timeout.
    public func waitForConnection(timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while !isConnected && ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isConnected
    }

    /// Calls a typed method. Throws `RPCError` for every failure: the service's own, `service_unavailable`, `service_timeout`.
    public func call<Method: RPCMethod>(
        _ method: Method.Type,
        _ params: Method.Params,
        timeout: Duration = .seconds(5)
    ) async throws(RPCError) -> Method.Result {
        let reply = try await callRaw(method: Method.name, params: params, timeout: timeout)
        let envelope: RPCResponseEnvelope<Method.Result>
        do {
            envelope = try JSONDecoder().decode(RPCResponseEnvelope<Method.Result>.self, from: Data(reply))
        } catch {
            throw RPCError(code: RPCError.internalCode, message: "\(service) sent a reply that does not decode: \(error)")
        }
        if envelope.ok, let result = envelope.result { return result }
        throw envelope.error ?? RPCError(code: RPCError.internalCode, message: "\(service) sent a reply with neither result nor error")
    }

    /// Calls a method and returns the reply frame undecoded, for callers that pass results through as they are.
    public func callRaw<Params: Encodable & Sendable>(
        method: String,
        params: Params,
        timeout: Duration = .seconds(5)
    ) async throws(RPCError) -> [UInt8] {
        let id = String(nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        let deadline = ContinuousClock.now + timeout
        let wallDeadline = Int64((Date().timeIntervalSince1970 + timeout.seconds) * 1000)
        let frame: [UInt8]
        do {
            frame = Array(try JSONEncoder().encode(RPCRequestEnvelope(id: id, method: method, params: params, deadline: wallDeadline)))
        } catch {
            throw RPCError.badRequest("parameters of \(method) do not encode: \(error)")
        }
        return try await send(id: id, method: method, frame: frame, deadline: deadline, timeout: timeout)
    }

    /// Calls a method whose `params` the caller wrote as JSON itself (so a hot path encodes once, without `JSONEncoder`);
    /// returns the reply frame undecoded. `params` must be one well-formed JSON value.
    public func callRaw(method: String, encodedParams params: [UInt8], timeout: Duration = .seconds(5)) async throws(RPCError) -> [UInt8] {
        let id = String(nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        let deadline = ContinuousClock.now + timeout
        let wallDeadline = Int64((Date().timeIntervalSince1970 + timeout.seconds) * 1000)
        var writer = JSONWriter(capacity: params.count + method.utf8.count + 64)
        writer.raw("{\"id\":\"")
        writer.bytes.append(contentsOf: id.utf8)
        writer.raw("\",\"method\":")
        writer.string(fast: method)
        writer.raw(",\"params\":")
        writer.raw(params)
        writer.raw(",\"deadline\":")
        writer.bytes.append(contentsOf: String(wallDeadline).utf8)
        writer.raw("}")
        return try await send(id: id, method: method, frame: writer.bytes, deadline: deadline, timeout: timeout)
    }

    private func send(
        id: String, method: String, frame: [UInt8], deadline: ContinuousClock.Instant, timeout: Duration
    ) async throws(RPCError) -> [UInt8] {
        // No handshaken connection: ZMQ_IMMEDIATE would refuse the send anyway, so fail here, in the caller's task, instead
        // of after a hop to the poll thread and back, which a loaded machine can stretch to most of a second.
        let result: Result<[UInt8], RPCError>
        if connectedState.isSet {
            result = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let request = PendingRequest(id: id, frame: frame, deadline: deadline, continuation: continuation)
                    if !loop.post(.send(request)) {
                        continuation.resume(returning: .failure(.serviceUnavailable(service, "client is shut down")))
                    }
                }
            } onCancel: {
                loop.post(.cancel(id))
            }
        } else {
            result = .failure(.serviceUnavailable(service))
        }
        let elapsed = Int64((ContinuousClock.now - (deadline - timeout)).seconds * 1e9)
        Metrics.Timer(label: "switchboard_rpc_client_duration_seconds", dimensions: [("target", service), ("method", method)]).recordNanoseconds(
            elapsed)
        if case .failure(let error) = result {
            Counter(label: "switchboard_rpc_client_failures_total", dimensions: [("target", service), ("code", error.code)]).increment()
        }
        return try result.get()
    }

    /// Stops the socket thread; calls in flight fail with `service_unavailable`.
    public func shutdown() {
        loop.stop()
    }

    deinit {
        loop.stop()
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

struct PendingRequest: Sendable {
    let id: String
    let frame: [UInt8]
    let deadline: ContinuousClock.Instant
    let continuation: CheckedContinuation<Result<[UInt8], RPCError>, Never>
}

enum ClientCommand: Sendable {
    case send(PendingRequest)
    case cancel(String)
}

/// The DEALER socket and the table of waiting callers, confined to the client's poll thread
/// (hence `@unchecked Sendable`: it crosses to that thread once, at start, and is never touched elsewhere).
final class RPCClientDriver: PollLoopDriver, @unchecked Sendable {
    let sockets: [ZMQSocket]
    private let dealer: ZMQSocket
    private let monitor: ZMQSocket
    private let service: String
    private let connected: SharedFlag
    private let logger: Logger
    private var pending: [String: PendingRequest] = [:]
    private var liveConnections = 0

    init(service: String, endpoint: String, connected: SharedFlag, logger: Logger) throws(BusError) {
        self.service = service
        self.connected = connected
        self.logger = logger
        dealer = try ZMQSocket(kind: ZMQ_DEALER)
        dealer.setOption(ZMQ_IMMEDIATE, 1)
        dealer.setOption(ZMQ_SNDHWM, 100_000)
        dealer.setOption(ZMQ_RCVHWM, 100_000)
        dealer.setOption(ZMQ_RECONNECT_IVL, 100)
        dealer.setOption(ZMQ_RECONNECT_IVL_MAX, 0)
        let monitorAddress = "inproc://monitor-\(service)-\(UUID().uuidString)"
        guard zmq_socket_monitor(dealer.handle, monitorAddress, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) == 0 else {
            throw BusError.socket("zmq_socket_monitor: \(zmqErrorText())")
        }
        monitor = try ZMQSocket(kind: ZMQ_PAIR)
        try monitor.connect(monitorAddress)
        try dealer.connect(endpoint, server: service)
        sockets = [dealer, monitor]
    }

    func handle(_ command: ClientCommand) {
        switch command {
        case .send(let request):
            if ContinuousClock.now >= request.deadline {
                request.continuation.resume(returning: .failure(.serviceTimeout(service)))
            } else if !dealer.send([request.frame]) {
                request.continuation.resume(returning: .failure(.serviceUnavailable(service)))
            } else {
                pending[request.id] = request
            }
        case .cancel(let id):
            pending.removeValue(forKey: id)?.continuation.resume(
                returning: .failure(RPCError(code: "cancelled", message: "the call to \(service) was cancelled"))
            )
        }
    }

    func readable(socketIndex: Int) {
        if socketIndex == 0 {
            while let frames = dealer.receive() {
                guard let payload = frames.last, let id = Self.replyID(payload) else {
                    logger.warning("dropping an undecodable reply from \(service)")
                    continue
                }
                // A reply whose caller timed out or was cancelled has no entry: it is dropped, never handed to a later caller.
                pending.removeValue(forKey: id)?.continuation.resume(returning: .success(payload))
            }
        } else {
            while let frames = monitor.receive() {
                guard let event = frames.first, event.count >= 2 else { continue }
                let code = Int32(UInt16(event[0]) | UInt16(event[1]) << 8)
                // A connection counts once its ZMTP handshake is done: only then does ZMQ_IMMEDIATE let a send through.
                if code == ZMQ_EVENT_HANDSHAKE_SUCCEEDED {
                    liveConnections += 1
                } else if code == ZMQ_EVENT_DISCONNECTED {
                    liveConnections = max(0, liveConnections - 1)
                    if liveConnections == 0 { failAll(.serviceUnavailable(service, "connection lost")) }
                }
                connected.set(liveConnections > 0)
            }
        }
    }

    /// The reply's `id`, scanned (the caller decodes the whole reply once, in its own task); `JSONDecoder` only for
    /// frames the scanner leaves undecided.
    static func replyID(_ payload: [UInt8]) -> String? {
        if let id = EnvelopeHead.scan(payload)?.id { return id }
        return (try? JSONDecoder().decode(RPCResponseHead.self, from: Data(payload)))?.id
    }

    func pollTimeout() -> Int {
        guard let next = pending.values.lazy.map(\.deadline).min() else { return -1 }
        let remaining = ContinuousClock.now.duration(to: next)
        return max(0, Int((remaining.seconds * 1000).rounded(.up)))
    }

    func tick() {
        guard !pending.isEmpty else { return }
        let now = ContinuousClock.now
        for (id, request) in pending where request.deadline <= now {
            pending.removeValue(forKey: id)
            request.continuation.resume(returning: .failure(.serviceTimeout(service)))
        }
    }

    func close() {
        failAll(.serviceUnavailable(service, "client is shut down"))
        zmq_socket_monitor(dealer.handle, nil, 0)
        monitor.close()
        dealer.close()
    }

    private func failAll(_ error: RPCError) {
        let waiting = pending.values
        pending.removeAll()
        for request in waiting { request.continuation.resume(returning: .failure(error)) }
    }
}
