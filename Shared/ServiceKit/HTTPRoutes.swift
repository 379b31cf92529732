import Foundation
import SwitchboardProtocol

/// A service's HTTP routes, answered over the bus (`http.request`) for requests the edge forwards.
///
/// Patterns are literal segments and `{name}` captures, e.g. `/api/menu/{key}`. Handlers return a full response, so a
/// service decides its own status codes and error shapes.
public final class HTTPRoutes: Sendable {
    public typealias Handler = @Sendable (HTTPCall) async throws -> ForwardedResponse

    struct Route: Sendable {
        let method: String
        let segments: [String]
        let handler: Handler
    }

    private let routes: [Route]

    public init(_ build: (inout Builder) -> Void) {
        var builder = Builder()
        build(&builder)
        routes = builder.routes
    }

    public struct Builder {
        var routes: [Route] = []

        public mutating func on(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
            routes.append(Route(method: method.uppercased(), segments: HTTPRoutes.split(pattern), handler: handler))
        }
    }

    /// Finds the handler for a request: 404 when no pattern matches the path, 405 when only the method differs.
    public func respond(to request: ForwardedRequest) async -> ForwardedResponse {
        let segments = Self.split(request.path)
        var pathMatched = false
        for route in routes {
            guard let parameters = Self.match(route.segments, segments) else { continue }
            pathMatched = true
            guard route.method == request.method.uppercased() else { continue }
            do {
                return try await route.handler(HTTPCall(request: request, parameters: parameters))
            } catch let error as HTTPError {
                return error.response
            } catch let error as RPCError {
                return .error(500, error.code, error.message)
            } catch {
                return .error(500, "internal", "\(error)")
            }
        }
        return pathMatched
            ? .error(405, "method_not_allowed", "\(request.method) is not allowed on \(request.path)")
            : .error(404, "not_found", "no route for \(request.path)")
    }

    static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func match(_ pattern: [String], _ path: [String]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                parameters[String(expected.dropFirst().dropLast())] = actual.removingPercentEncoding ?? actual
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}

/// One forwarded request with the captures of its route.
public struct HTTPCall: Sendable {
    public let request: ForwardedRequest
    public let parameters: [String: String]

    public var principal: Principal? { request.principal }

    /// Decodes the JSON body, or throws a 400 that says what is wrong with it.
    public func decodeBody<Body: Decodable>(_ type: Body.Type = Body.self) throws(HTTPError) -> Body {
        guard let text = request.body, !text.isEmpty else { throw HTTPError(400, "invalid_body", "a JSON body is required") }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(text.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw HTTPError(400, "invalid_body", "missing field \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw HTTPError(400, "invalid_body", "field \(field) has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw HTTPError(400, "invalid_body", "field \(field) must not be null")
        } catch {
            throw HTTPError(400, "invalid_json", "the body is not valid JSON")
        }
    }

    /// The caller, or a 401 when the request is anonymous.
    public func requirePrincipal() throws(HTTPError) -> Principal {
        guard let principal else { throw HTTPError(401, "unauthorized", "this route needs a valid access token") }
        return principal
    }

    /// The caller if it has `role` (admins have every role), or 401/403.
    public func require(role: String) throws(HTTPError) -> Principal {
        let principal = try requirePrincipal()
        guard principal.has(role: role) else { throw HTTPError(403, "forbidden", "this route needs role \(role)") }
        return principal
    }
}

/// A failure with its HTTP status, thrown by route handlers.
public struct HTTPError: Error, Sendable {
    public let response: ForwardedResponse

    public init(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) {
        var response = ForwardedResponse.error(status, code, message)
        for (key, value) in headers { response.headers[key] = value }
        self.response = response
    }

    public init(response: ForwardedResponse) {
        self.response = response
    }
}

extension ForwardedResponse {
    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A JSON response (keys as the value's coding keys).
    public static func json<Value: Encodable>(_ value: Value, status: Int = 200, headers: [String: String] = [:]) -> ForwardedResponse {
        let body = (try? jsonEncoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var fields = headers
        fields["content-type"] = "application/json; charset=utf-8"
        return ForwardedResponse(status: status, headers: fields, body: body)
    }

    /// The error shape of DESIGN.md §4: `{"code","message"}`.
    public static func error(_ status: Int, _ code: String, _ message: String) -> ForwardedResponse {
        struct Body: Encodable {
            let code: String
            let message: String
        }
        return json(Body(code: code, message: message), status: status)
    }
}
