import Foundation
import NIOCore
import SwitchboardProtocol

/// Socket.IO v5 packets (the protocol of Socket.IO server 4.x), carried in Engine.IO `4` messages: a type digit, an
/// optional `/namespace,`, an optional acknowledgement id, then JSON. The edge maps them onto its own frames: an event
/// `2["join_room",{...}]` is the frame `{"type":"join_room","data":{...}}`, and a server frame `{"type":T,"data":D}`
/// goes out as the event `2["T",D]` (or, answering an emit that asked for one, as the acknowledgement `3<id>[D]`).
struct SocketIOPacket: Sendable {
    enum Kind: UInt8, Sendable {
        case connect = 0
        case disconnect, event, ack, connectError, binaryEvent, binaryAck
    }

    let kind: Kind
    let namespace: String
    let ackID: Int?
    /// The JSON after the header (may be empty).
    let payload: [UInt8]

    /// Longest acknowledgement id read (beyond it the packet is refused rather than the integer overflowing).
    static let maxAckDigits = 15
    /// Longest namespace quoted back in a `CONNECT_ERROR`.
    static let maxNamespaceLength = 64

    /// Reads one packet (an Engine.IO message's text); nil when it is not a Socket.IO packet.
    static func decode(_ bytes: ByteBuffer) -> SocketIOPacket? {
        let text = Array(bytes.readableBytesView)
        guard let first = text.first, first >= UInt8(ascii: "0"), let kind = Kind(rawValue: first - UInt8(ascii: "0")) else { return nil }
        var index = 1
        if kind == .binaryEvent || kind == .binaryAck {
            // `<attachments>-` before the rest: read past it, the packet is refused anyway.
            while index < text.count, text[index] != UInt8(ascii: "-") { index += 1 }
            index += 1
        }
        var namespace = "/"
        if index < text.count, text[index] == UInt8(ascii: "/") {
            let end = text[index...].firstIndex(of: UInt8(ascii: ",")) ?? text.count
            namespace = String(decoding: text[index..<end], as: UTF8.self)
            index = min(end + 1, text.count)
        }
        var ackID: Int?
        let digitsStart = index
        while index < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[index]) { index += 1 }
        if index > digitsStart {
            guard index - digitsStart <= maxAckDigits else { return nil }
            ackID = Int(String(decoding: text[digitsStart..<index], as: UTF8.self))
        }
        return SocketIOPacket(kind: kind, namespace: namespace, ackID: ackID, payload: Array(text[min(index, text.count)...]))
    }

    /// The client frame an event stands for: `["name", argument, …]` becomes `{"type":"name","id":ack,"data":argument}`
    /// (only the first argument is used), checked by the same envelope parser as `/ws` frames.
    func clientMessage() -> Result<ClientMessage, ProtocolFailure> {
        let invalid = ProtocolFailure(
            code: .invalidMessage, message: "an event must be a JSON array starting with the event name: [\"join_room\",{\"room\":\"ops\"}]",
            requestID: ackID.map(String.init))
        guard let open = Self.skipSpace(payload, from: 0), payload[open] == UInt8(ascii: "[") else { return .failure(invalid) }
        var scanner = JSONScanner(Array(payload[(open + 1)...]))
        guard let name = scanner.stringBytes() else { return .failure(invalid) }
        var rest = Array(scanner.bytes[scanner.index...])
        var argument: [UInt8]?
        guard let afterName = Self.skipSpace(rest, from: 0) else { return .failure(invalid) }
        if rest[afterName] == UInt8(ascii: ",") {
            var value = JSONScanner(Array(rest[(afterName + 1)...]))
            guard value.skipValue() else { return .failure(invalid) }
            argument = Array(value.bytes[..<value.index])
            rest = Array(value.bytes[value.index...])
        }
        // After the first argument: `]`, or more arguments (not read, in one pass) and then the closing `]`.
        guard let next = Self.skipSpace(rest, from: 0), rest[next] == UInt8(ascii: "]") || rest[next] == UInt8(ascii: ","),
            let last = rest.lastIndex(where: { !Self.isSpace($0) }), rest[last] == UInt8(ascii: "]"),
            rest[next] == UInt8(ascii: ",") || last == next
        else { return .failure(invalid) }
        var writer = JSONWriter(capacity: payload.count + 32)
        writer.raw(#"{"type":"#)
        writer.string(name)
        if let ackID {
            writer.raw(#","id":""#)
            writer.integer(ackID)
            writer.raw("\"")
        }
        if let argument {
            writer.raw(#","data":"#)
            writer.raw(argument)
        }
        writer.raw("}")
        return ClientMessage.parse(Data(writer.bytes))
    }

    /// The token of a `CONNECT` packet's auth object (`{"token":"JWT"}`): nil without one, a failure when it is no string.
    func authToken() -> Result<String?, ProtocolFailure> {
        guard Self.skipSpace(payload, from: 0) != nil else { return .success(nil) }
        let invalid = ProtocolFailure(code: .invalidMessage, message: "the auth payload must be an object like {\"token\":\"<JWT>\"}")
        var scanner = JSONScanner(payload)
        guard scanner.openObject() else { return .failure(invalid) }
        var first = true
        var failed = false
        var token: String?
        while let key = scanner.nextKey(first: &first, failed: &failed) {
            if key.spells("token") {
                if scanner.null() { continue }
                guard let value = scanner.string() else { return .failure(invalid) }
                token = value
            } else if !scanner.skipValue() {
                return .failure(invalid)
            }
        }
        guard !failed, scanner.atEnd() else { return .failure(invalid) }
        return .success(token)
    }

    // MARK: Server packets (Engine.IO message prefix `4` included)

    /// `42["T",D]` for a server frame `{"type":T,"data":D,…}` (`42["T"]` when it has no data).
    static func event(fromFrame frame: ByteBuffer) -> ByteBuffer {
        guard case .success(let message) = ClientMessage.parse(Data(frame.readableBytesView)) else {
            return ByteBuffer(string: #"42["error",{"code":"INTERNAL_ERROR","message":"a server frame could not be converted"}]"#)
        }
        var writer = JSONWriter(capacity: frame.readableBytes + 8)
        writer.raw("42[")
        writer.string(message.type)
        if let data = message.data {
            writer.raw(",")
            writer.raw(Array(data))
        }
        writer.raw("]")
        return ByteBuffer(bytes: writer.bytes)
    }

    /// `43<id>[D]`: the first reply frame of a command whose emit asked for an acknowledgement (`43<id>[]` without one).
    static func ack(_ id: Int, fromFrame frame: ByteBuffer?) -> ByteBuffer {
        var writer = JSONWriter(capacity: (frame?.readableBytes ?? 0) + 24)
        writer.raw("43")
        writer.integer(id)
        writer.raw("[")
        if let frame, case .success(let message) = ClientMessage.parse(Data(frame.readableBytesView)), let data = message.data {
            writer.raw(Array(data))
        }
        writer.raw("]")
        return ByteBuffer(bytes: writer.bytes)
    }

    /// `40{"sid":…}`: the default namespace is connected.
    static func connected(sid: String) -> ByteBuffer {
        var writer = JSONWriter()
        writer.raw(#"40{"sid":"#)
        writer.string(sid)
        writer.raw("}")
        return ByteBuffer(bytes: writer.bytes)
    }

    /// `44{"message":…}` (or `44/ns,{…}` for another namespace): the connection to that namespace was refused.
    static func connectError(namespace: String, message: String) -> ByteBuffer {
        var writer = JSONWriter()
        writer.raw("44")
        if namespace != "/" {
            // Quoted back only as printable ASCII without the separator, so it cannot break the client's parsing.
            let safe = namespace.unicodeScalars.prefix(maxNamespaceLength).filter { $0.isASCII && $0.value > 0x20 && $0 != "," }
            writer.raw(Array(String(String.UnicodeScalarView(safe)).utf8))
            writer.raw(",")
        }
        writer.raw(#"{"message":"#)
        writer.string(message)
        writer.raw("}")
        return ByteBuffer(bytes: writer.bytes)
    }

    static let disconnectPacket = ByteBuffer(string: "41")

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// The index of the first byte from `start` that is not JSON whitespace.
    private static func skipSpace(_ bytes: [UInt8], from start: Int) -> Int? {
        bytes[start...].firstIndex { !isSpace($0) }
    }
}
