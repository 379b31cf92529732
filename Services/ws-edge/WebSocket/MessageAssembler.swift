import NIOCore
import NIOWebSocket

/// Builds whole messages from a client's data frames (RFC 6455 §5.4): a text or binary frame starts a message, a
/// continuation frame extends it, `fin` ends it. Past `limit` bytes the message is refused (1009); text that is not
/// UTF-8 is refused at the first bad fragment (1007); a continuation without a message, or a new message inside one,
/// is a protocol error (1002).
struct MessageAssembler {
    enum Outcome {
        case partial
        case message(ByteBuffer, text: Bool)
        case failure(code: UInt16, reason: String)
    }

    let limit: Int
    private var pending: ByteBuffer?
    private var isText = false
    private var utf8 = UTF8Validator()

    init(limit: Int) {
        self.limit = limit
    }

    /// A fragmented message is under way: the next data frame must be its continuation.
    var isAssembling: Bool { pending != nil }

    /// Bytes the message under way may still grow by (the whole limit before a message starts): the bound an inflated
    /// frame is held to.
    var room: Int { limit - (pending?.readableBytes ?? 0) }

    /// Takes one (unmasked) data frame.
    mutating func add(opcode: WebSocketOpcode, fin: Bool, payload: ByteBuffer) -> Outcome {
        switch opcode {
        case .text, .binary:
            guard pending == nil else { return .failure(code: 1002, reason: "a new message inside a fragmented one") }
            guard payload.readableBytes <= limit else { return Self.tooLarge(limit) }
            isText = opcode == .text
            utf8 = UTF8Validator()
            if isText, !payload.withUnsafeReadableBytes({ utf8.feed($0) }) { return Self.notUTF8 }
            if fin { return finish(payload) }
            pending = payload
            return .partial
        case .continuation:
            guard var buffer = pending else { return .failure(code: 1002, reason: "a continuation frame without a message") }
            guard payload.readableBytes <= limit - buffer.readableBytes else {
                pending = nil
                return Self.tooLarge(limit)
            }
            if isText, !payload.withUnsafeReadableBytes({ utf8.feed($0) }) {
                pending = nil
                return Self.notUTF8
            }
            pending = nil
            var payload = payload
            buffer.writeBuffer(&payload)
            if fin { return finish(buffer) }
            pending = buffer
            return .partial
        default:
            return .failure(code: 1002, reason: "not a data frame")
        }
    }

    private func finish(_ buffer: ByteBuffer) -> Outcome {
        if isText, !utf8.isComplete { return Self.notUTF8 }
        return .message(buffer, text: isText)
    }

    private static let notUTF8 = Outcome.failure(code: 1007, reason: "text is not valid UTF-8")

    private static func tooLarge(_ limit: Int) -> Outcome {
        .failure(code: 1009, reason: "message larger than \(limit) bytes")
    }

    /// What a close frame from the client asks for (RFC 6455 §5.5.1, §7.4): the code to echo (nil for an empty close),
    /// or the failure to answer with when its code or reason is invalid.
    static func closeCode(of payload: ByteBuffer) -> Result<UInt16?, CloseFailure> {
        var payload = payload
        guard payload.readableBytes > 0 else { return .success(nil) }
        guard let code = payload.readInteger(as: UInt16.self) else { return .failure(CloseFailure(code: 1002)) }
        guard Self.isValidCloseCode(code) else { return .failure(CloseFailure(code: 1002)) }
        var reason = UTF8Validator()
        guard payload.withUnsafeReadableBytes({ reason.feed($0) }), reason.isComplete else { return .failure(CloseFailure(code: 1007)) }
        return .success(code)
    }

    struct CloseFailure: Error {
        let code: UInt16
    }

    /// Codes a peer may send: the defined ones (1004–1006 and 1015 are reserved, never sent), and 3000–4999.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}
