import Metrics
import NIOCore
import SwitchboardProtocol

/// The frames the edge itself writes, through the one envelope writer (`ServerFrame`), as buffers to queue.
enum EdgeFrame {
    static func make<Payload: Encodable>(_ type: String, id: String, data: Payload) -> ByteBuffer {
        ByteBuffer(bytes: ServerFrame.make(type, id: id, data: data))
    }

    /// An `error` frame the edge sends (counted by code in `switchboard_ws_errors_total`).
    static func error(_ failure: ProtocolFailure) -> ByteBuffer {
        Counter(label: "switchboard_ws_errors_total", dimensions: [("code", failure.code.rawValue)]).increment()
        return ByteBuffer(bytes: ServerFrame.error(failure))
    }
}
