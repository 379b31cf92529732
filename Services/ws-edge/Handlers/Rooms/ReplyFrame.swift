import NIOCore

/// Replies of the room and question handlers: `{type, id: "<request id>_<type>", timestamp, data}`; every payload
/// carries the echoed `request_id`, as every reply of DESIGN.md §3 does.
enum ReplyFrame {
    static func make<Payload: Encodable>(_ type: String, to message: ClientMessage, _ data: Payload) -> ByteBuffer {
        ServerFrame.make(type, id: "\(message.id ?? ServerFrame.uniqueID("req"))_\(type)", data: data)
    }
}

extension ProtocolFailure {
    static func invalid(_ text: String, _ message: ClientMessage) -> ProtocolFailure {
        ProtocolFailure(code: .invalidMessage, message: text, requestID: message.id)
    }

    static func signInNeeded(_ what: String, _ message: ClientMessage) -> ProtocolFailure {
        ProtocolFailure(code: .unauthorized, message: "\(what) needs a signed-in user", requestID: message.id)
    }
}
