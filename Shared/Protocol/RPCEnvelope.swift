/// The request frame of DESIGN.md §2: `{"id","method","params","deadline"}`; `deadline` is Unix milliseconds.
public struct RPCRequestEnvelope<Params: Encodable & Sendable>: Encodable, Sendable {
    public var id: String
    public var method: String
    public var params: Params
    public var deadline: Int64

    public init(id: String, method: String, params: Params, deadline: Int64) {
        self.id = id
        self.method = method
        self.params = params
        self.deadline = deadline
    }
}

/// What a server reads first from a request, before it knows the parameter type.
public struct RPCRequestHead: Decodable, Sendable {
    public var id: String
    public var method: String
    public var deadline: Int64?
}

/// The parameters of a request, decoded once the method (and so the type) is known.
public struct RPCRequestParams<Params: Decodable & Sendable>: Decodable, Sendable {
    public var params: Params
}

/// The reply frame: `{"id","ok":true,"result"}` or `{"id","ok":false,"error":{"code","message"}}`.
public struct RPCResponseEnvelope<Result: Codable & Sendable>: Codable, Sendable {
    public var id: String
    public var ok: Bool
    public var result: Result?
    public var error: RPCError?

    public init(id: String, result: Result) {
        self.id = id
        self.ok = true
        self.result = result
        self.error = nil
    }

    public init(id: String, error: RPCError) {
        self.id = id
        self.ok = false
        self.result = nil
        self.error = error
    }
}

/// What a client reads first from a reply, to find the waiting caller.
public struct RPCResponseHead: Decodable, Sendable {
    public var id: String
}
