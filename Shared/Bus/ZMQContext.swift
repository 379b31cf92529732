import CZMQ

/// The process-wide ZeroMQ context.
///
/// `@unchecked Sendable` is safe: a zmq context is documented thread-safe; only sockets are not, and those never leave their thread.
final class ZMQContext: @unchecked Sendable {
    static let shared = ZMQContext()

    let handle: UnsafeMutableRawPointer

    private init() {
        guard let handle = zmq_ctx_new() else { fatalError("zmq_ctx_new failed: out of memory") }
        zmq_ctx_set(handle, ZMQ_BLOCKY, 0)
        self.handle = handle
    }
}

/// The text of the last ZeroMQ error on this thread.
func zmqErrorText(_ code: Int32 = zmq_errno()) -> String {
    String(cString: zmq_strerror(code))
}
