import Foundation

/// The ordering facts of an event, sent as a third ZeroMQ frame after topic and payload, so the edge delivers ordered
/// topics (rooms) without reading the payload: it never scans service JSON.
///
/// `id` and `prev` come from Redis in the same script as the append (`XADD`), so they hold whichever scheduler
/// instance published the event, and two publishers of one room cannot disagree about the order.
public struct EventHead: Codable, Sendable, Equatable {
    /// The event's position (a stream id); nil for events outside the order (member events, markers).
    public var id: String?
    /// The position of the event before it (`0-0`: none); a receiver that has not seen it has a gap.
    public var prev: String?
    /// The connection the event is about: it is not sent to that connection (e.g. its own `member_joined`).
    public var origin: String?
    /// A marker (`token`): proof for an edge that its subscription is live; never sent to clients.
    public var marker: String?

    public init(id: String? = nil, prev: String? = nil, origin: String? = nil, marker: String? = nil) {
        self.id = id
        self.prev = prev
        self.origin = origin
        self.marker = marker
    }

    public var bytes: [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data("{}".utf8)) }

    public init?(bytes: [UInt8]) {
        guard let head = try? JSONDecoder().decode(EventHead.self, from: Data(bytes)) else { return nil }
        self = head
    }
}
