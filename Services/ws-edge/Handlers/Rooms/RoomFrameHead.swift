import NIOCore
import SwitchboardProtocol

/// What the edge needs to know about a `room/<room>` frame to deliver it: a chat message's stream id and the id before
/// it, or the connection a member event is about.
///
/// The scheduler writes these frames with a fixed field order and JSON-escaped strings, so the fields are found by
/// scanning for their keys (an escaped quote can never look like a key) instead of parsing every frame.
struct RoomFrameHead: Sendable {
    /// The stream id of a `chat_message`; nil for other frames.
    let chatID: StreamID?
    let previousID: StreamID?
    /// The connection a `member_joined` / `member_left` / `room_marker` is about: it is not told about itself.
    let origin: String?
    /// A `room_marker`: proof for the joining connection's edge that its subscription is live; never sent to clients.
    let isMarker: Bool

    init(_ frame: ByteBuffer) {
        let bytes = frame.readableBytesView
        let type = Self.value(of: #""type":""#, in: bytes)
        isMarker = type == "room_marker"
        if type == "chat_message" {
            chatID = Self.value(of: #""id":""#, in: bytes).flatMap { StreamID($0) }
            previousID = Self.value(of: #""prev_id":""#, in: bytes).flatMap { StreamID($0) }
            origin = nil
        } else {
            chatID = nil
            previousID = nil
            origin = Self.value(of: #""connection_id":""#, in: bytes)
        }
    }

    /// The string value after the first occurrence of `key` (which ends with the opening quote), up to the next quote.
    static func value(of key: StaticString, in bytes: ByteBufferView) -> String? {
        let needle = key.withUTF8Buffer { Array($0) }
        guard let first = needle.first, bytes.count > needle.count else { return nil }
        var index = bytes.startIndex
        let last = bytes.endIndex - needle.count
        while index <= last {
            if bytes[index] == first && bytes[index..<index + needle.count].elementsEqual(needle) {
                let start = index + needle.count
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}
