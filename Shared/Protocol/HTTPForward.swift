/// `http.request`: an HTTP request the edge received, handed to the service that owns its route.
///
/// The edge stays free of business logic: it authenticates the caller (verifying the JWT itself), then forwards the
/// request as data and writes back whatever status, headers and body the service answers.
public enum HTTPForward: RPCMethod {
    public typealias Params = ForwardedRequest
    public typealias Result = ForwardedResponse
    public static let name = "http.request"
}

/// Who is calling, as the edge established from a verified access token.
public struct Principal: Codable, Sendable, Equatable {
    public var user: String
    public var roles: [String]

    public init(user: String, roles: [String]) {
        self.user = user
        self.roles = roles
    }

    public func has(role: String) -> Bool {
        roles.contains(role) || roles.contains("admin")
    }
}

public struct ForwardedRequest: Codable, Sendable {
    public var method: String
    /// The path without the query string, e.g. `/api/menu/dashboard`.
    public var path: String
    public var query: [String: String]
    /// Lower-cased header names; only those a service may need (content-type, if-none-match, user-agent, …).
    public var headers: [String: String]
    /// The body as UTF-8 text (every route of this API takes JSON or hex text); nil when empty.
    public var body: String?
    public var clientIP: String
    /// The authenticated caller, or nil for an anonymous request.
    public var principal: Principal?

    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: String? = nil,
        clientIP: String,
        principal: Principal? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientIP = clientIP
        self.principal = principal
    }
}

public struct ForwardedResponse: Codable, Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String

    public init(status: Int, headers: [String: String] = [:], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
