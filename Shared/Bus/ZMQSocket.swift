import CZMQ

/// One ZeroMQ socket. Not thread-safe: it is created by its owner and then used only on that owner's poll thread.
struct ZMQSocket {
    let handle: UnsafeMutableRawPointer
    let kind: Int32

    init(kind: Int32) throws(BusError) {
        guard let handle = zmq_socket(ZMQContext.shared.handle, kind) else {
            throw BusError.socket("zmq_socket: \(zmqErrorText())")
        }
        self.handle = handle
        self.kind = kind
        setOption(ZMQ_LINGER, 0)
    }

    func setOption(_ option: Int32, _ value: Int32) {
        var value = value
        _ = zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size)
    }

    func setOption(_ option: Int32, bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
    }

    /// Binds; on `tcp://` first makes the socket a CURVE server (or refuses, see `BusSecurity`).
    func bind(_ endpoint: String) throws(BusError) {
        try BusSecurity.shared.secureServer(self, endpoint: endpoint)
        if zmq_bind(handle, endpoint) != 0 {
            throw BusError.bind(endpoint: endpoint, reason: zmqErrorText())
        }
    }

    /// Connects to `endpoint`, or to each of a comma-separated list (several instances of one service, e.g. schedulers
    /// on two hosts: DEALER and PUSH then share the work among them, SUB hears all of them). On `tcp://` the socket first
    /// gets this process's CURVE pair and `server`'s public key.
    func connect(_ endpoint: String, server: String? = nil) throws(BusError) {
        if endpoint.contains("tcp://") {
            // A peer on another host can vanish without a FIN or RST (host down, link cut): ZMTP heartbeats notice it
            // within seconds, so DEALER and PUSH stop routing to it and RPCClient stops counting it as connected.
            setOption(ZMQ_HEARTBEAT_IVL, 1000)
            setOption(ZMQ_HEARTBEAT_TIMEOUT, 3000)
        }
        for one in endpoint.split(separator: ",").map({ String($0.filter { !$0.isWhitespace }) }) where !one.isEmpty {
            try BusSecurity.shared.secureClient(self, endpoint: one, server: server)
            if zmq_connect(handle, one) != 0 {
                throw BusError.connect(endpoint: one, reason: zmqErrorText())
            }
        }
    }

    /// Sends all frames of one message without blocking. Returns false when the socket cannot take it now
    /// (no connected peer with `ZMQ_IMMEDIATE`, or the high-water mark is reached).
    func send(_ frames: [[UInt8]]) -> Bool {
        for (index, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc < 0 {
                // A multipart message is atomic: ZeroMQ drops a partial one when the first frame fails,
                // and later frames cannot fail once the first was queued.
                return false
            }
        }
        return true
    }

    /// Receives one whole multipart message, or nil when none is waiting.
    func receive() -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            if zmq_msg_recv(&message, handle, frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                return nil
            }
            let size = zmq_msg_size(&message)
            if size > 0, let data = zmq_msg_data(&message) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Whether a message is waiting (ZMQ_EVENTS has POLLIN).
    var hasInput: Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQ_EVENTS, &events, &size) == 0 else { return false }
        return events & ZMQ_POLLIN != 0
    }

    func close() {
        zmq_close(handle)
    }
}
