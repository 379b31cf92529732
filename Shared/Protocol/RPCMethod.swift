/// A typed remote procedure: its wire name and the shapes of its parameters and result.
///
/// Both sides of the bus name a method by its type, so a renamed method or changed shape is a compile error, not a runtime surprise.
public protocol RPCMethod: Sendable {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    static var name: String { get }
}

/// Parameters of a method that takes none.
public struct NoParams: Codable, Sendable, Equatable {
    public init() {}
}
