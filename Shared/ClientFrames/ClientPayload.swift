/// The `data` of one client message type, as its handler decodes it.
///
/// The service that owns the type decodes exactly this type (`ClientMessageCatalog`), so what the docs and the bad-input
/// suite say about a message's fields is recorded from the same `init(from:)` that runs on every frame
/// (`PayloadSchema`), and cannot drift from the code.
public protocol ClientPayload: Decodable, Sendable {
    /// The `type` of the frames whose `data` this is.
    static var messageType: String { get }
    /// What a frame without `data` (or with `data: null`) means; nil when `data` is required.
    static var whenAbsent: Self? { get }
}

extension ClientPayload {
    public static var whenAbsent: Self? { nil }
}

/// A message whose `data` carries no fields: it may be absent, null or an object (whose keys are ignored), but not a
/// number, string or array. A synthesized `init(from:)` of an empty struct would accept any JSON at all.
public protocol FieldlessPayload: ClientPayload {
    init()
}

private struct NoKeys: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension FieldlessPayload {
    public init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: NoKeys.self)
        self.init()
    }

    public static var whenAbsent: Self? { Self() }
}
