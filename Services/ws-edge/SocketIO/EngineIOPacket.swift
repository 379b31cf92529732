import NIOCore

/// Engine.IO v4, the transport layer under Socket.IO: a packet is one type digit and its text. Over WebSocket one
/// text frame is one packet; over HTTP long-polling one body holds several, separated by the record separator 0x1E
/// (which JSON never contains unescaped, so no packet needs quoting).
enum EngineIOPacket: Equatable, Sendable {
    case open
    case close
    /// `2`; `probe` is the upgrade check a client sends on its new WebSocket.
    case ping(probe: Bool)
    case pong(probe: Bool)
    /// `4` and a Socket.IO packet.
    case message(ByteBuffer)
    case upgrade
    case noop
    /// A binary packet (`b` + base64 in a polling body, or a binary WebSocket frame): Switchboard speaks JSON only.
    case binary

    static let separator = UInt8(0x1E)

    /// One packet's bytes; nil when it is not an Engine.IO packet (empty, or an unknown type).
    static func decode(_ packet: ByteBuffer) -> EngineIOPacket? {
        guard let type = packet.getInteger(at: packet.readerIndex, as: UInt8.self) else { return nil }
        let rest = packet.getSlice(at: packet.readerIndex + 1, length: packet.readableBytes - 1) ?? ByteBuffer()
        let probe = rest.readableBytesView.elementsEqual("probe".utf8)
        switch type {
        case UInt8(ascii: "0"): return .open
        case UInt8(ascii: "1"): return .close
        case UInt8(ascii: "2"): return .ping(probe: probe)
        case UInt8(ascii: "3"): return .pong(probe: probe)
        case UInt8(ascii: "4"): return .message(rest)
        case UInt8(ascii: "5"): return .upgrade
        case UInt8(ascii: "6"): return .noop
        case UInt8(ascii: "b"): return .binary
        default: return nil
        }
    }

    /// The packets of one polling body, in order (an empty body has none).
    static func split(_ body: ByteBuffer) -> [ByteBuffer] {
        guard body.readableBytes > 0 else { return [] }
        var packets: [ByteBuffer] = []
        var start = body.readerIndex
        let view = body.readableBytesView
        for index in view.indices where view[index] == separator {
            packets.append(body.getSlice(at: start, length: index - start) ?? ByteBuffer())
            start = index + 1
        }
        packets.append(body.getSlice(at: start, length: body.writerIndex - start) ?? ByteBuffer())
        return packets
    }

    /// One polling answer holding `packets`.
    static func joined(_ packets: [ByteBuffer]) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(packets.reduce(packets.count) { $0 + $1.readableBytes })
        for (index, packet) in packets.enumerated() {
            if index > 0 { body.writeInteger(separator) }
            body.writeImmutableBuffer(packet)
        }
        return body
    }

    /// The open packet: the session id, where it may upgrade to, the server's ping timing and the largest payload.
    static func open(sid: String, upgrades: [String], pingInterval: Int64, pingTimeout: Int64, maxPayload: Int) -> ByteBuffer {
        let list = upgrades.map { "\"\($0)\"" }.joined(separator: ",")
        return ByteBuffer(
            string:
                #"0{"sid":"\#(sid)","upgrades":[\#(list)],"pingInterval":\#(pingInterval),"pingTimeout":\#(pingTimeout),"maxPayload":\#(maxPayload)}"#
        )
    }

    static let closePacket = ByteBuffer(string: "1")
    static let pingPacket = ByteBuffer(string: "2")
    static let pongPacket = ByteBuffer(string: "3")
    static let probeAnswer = ByteBuffer(string: "3probe")
    static let noopPacket = ByteBuffer(string: "6")
}
