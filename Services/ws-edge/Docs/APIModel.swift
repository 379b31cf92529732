import Foundation

/// One HTTP operation as the docs describe it.
///
/// The catalog is written once in this small model and rendered twice — as OpenAPI 3.0 (`/docs/openapi.json`) and as the
/// readable page (`/docs`) — so the two can never disagree. The errors every caller can meet (401/403 from the token,
/// 400 from a bad body, 503/504 when a service is down or slow) are added from `access` and `owner` rather than written
/// out on each operation, so no operation forgets them.
struct APIOperation: Sendable {
    /// Who may call it.
    enum Access: Sendable {
        /// No token needed (and none looked at).
        case open
        /// Works anonymously; a token changes what the answer contains.
        case optionalToken
        /// Any valid access token.
        case token
        /// A valid access token with one of these roles (`admin` has every role).
        case role([String])
    }

    /// The process that answers: the edge itself, or the service the edge forwards to over the bus.
    enum Owner: String, Sendable, CaseIterable {
        case edge = "ws-edge"
        case auth, menu, signer, scheduler
    }

    /// The shape of this operation's errors.
    enum ErrorShape: Sendable {
        /// `{"code": "...", "message": "..."}` (DESIGN.md §4)
        case standard
        /// `{"code": 400, "msg": "...", "data": false}`, the contract `/getCode` callers already parse.
        case getCode
    }

    var method: String
    var path: String
    var owner: Owner
    var summary: String
    var details: String = ""
    var access: Access
    var parameters: [APIParameter] = []
    var body: APIBody? = nil
    var responses: [APIResponse]
    var errorShape: ErrorShape = .standard

    var operationID: String {
        let words = path.split { !$0.isLetter && !$0.isNumber }.map(String.init)
        return ([method.lowercased()] + (words.isEmpty ? ["root"] : words)).joined(separator: "_")
    }

    /// The written responses plus the implied errors, ordered by status.
    var allResponses: [APIResponse] {
        var all = responses
        func add(_ status: Int, _ description: String, headers: [String: String] = [:]) {
            guard !all.contains(where: { $0.status == status }) else { return }
            all.append(.error(status, description, shape: errorShape, headers: headers))
        }
        if body?.contentType == "application/json" { add(400, "The body is not valid JSON or misses a field (`invalid_body`, `invalid_json`).") }
        let bearer = ["WWW-Authenticate": "Bearer"]
        switch access {
        case .open:
            // The edge checks a token on every forwarded request, even where the service needs none.
            if owner != .edge { add(401, "A token was sent but is invalid or expired.", headers: bearer) }
        case .optionalToken:
            add(401, "A token was sent but is invalid or expired.", headers: bearer)
        case .token:
            add(401, "No token, or an invalid or expired one.", headers: bearer)
        case .role(let roles):
            add(401, "No token, or an invalid or expired one.", headers: bearer)
            add(403, "The token lacks role \(roles.joined(separator: " or ")).")
        }
        if owner != .edge {
            add(503, "The \(owner.rawValue) service is down (`service_unavailable`); the edge answers at once while its circuit is open.")
            add(504, "The \(owner.rawValue) service did not answer within its deadline (`service_timeout`).")
        }
        return all.sorted { $0.status < $1.status }
    }

    var openAPI: JSONValue {
        var fields: [(key: String, value: JSONValue)] = [
            ("tags", [.string(owner.rawValue)]),
            ("summary", .string(summary)),
            ("operationId", .string(operationID)),
        ]
        if !details.isEmpty { fields.append(("description", .string(details))) }
        switch access {
        case .open: fields.append(("security", []))
        case .optionalToken: fields.append(("security", [[:], ["bearerAuth": []]]))
        case .token: fields.append(("security", [["bearerAuth": []]]))
        case .role(let roles):
            fields.append(("security", [["bearerAuth": []]]))
            fields.append(("x-required-roles", .array(roles.map(JSONValue.string))))
        }
        if !parameters.isEmpty { fields.append(("parameters", .array(parameters.map(\.openAPI)))) }
        if let body { fields.append(("requestBody", body.openAPI)) }
        fields.append(("responses", .object(allResponses.map { (String($0.status), $0.openAPI) })))
        return .object(fields)
    }

    /// Who may call it, in words.
    var accessText: String {
        switch access {
        case .open: return "public"
        case .optionalToken: return "public; a bearer token personalises the answer"
        case .token: return "bearer token"
        case .role(let roles): return "bearer token with role \(roles.joined(separator: " or "))"
        }
    }
}

/// A path, query or header parameter.
struct APIParameter: Sendable {
    enum Location: String, Sendable {
        case path, query, header
    }

    var name: String
    var location: Location
    var description: String
    var schema: JSONValue = Schema.string
    var required: Bool = false

    static func path(_ name: String, _ description: String, schema: JSONValue = Schema.string) -> APIParameter {
        APIParameter(name: name, location: .path, description: description, schema: schema, required: true)
    }

    static func query(_ name: String, _ description: String, schema: JSONValue = Schema.string) -> APIParameter {
        APIParameter(name: name, location: .query, description: description, schema: schema)
    }

    static func header(_ name: String, _ description: String) -> APIParameter {
        APIParameter(name: name, location: .header, description: description)
    }

    var openAPI: JSONValue {
        [
            "name": .string(name), "in": .string(location.rawValue), "required": .bool(required),
            "description": .string(description), "schema": schema,
        ]
    }
}

/// A request body.
struct APIBody: Sendable {
    var contentType: String = "application/json"
    var schema: JSONValue
    var example: JSONValue? = nil
    var required: Bool = true

    var openAPI: JSONValue {
        var media: JSONValue = ["schema": schema]
        if let example { media = media.setting("example", example) }
        return ["required": .bool(required), "content": .object([(contentType, media)])]
    }
}

/// One response of an operation.
struct APIResponse: Sendable {
    var status: Int
    var description: String
    var contentType: String? = "application/json"
    var schema: JSONValue? = nil
    var headers: [String: String] = [:]

    static func json(_ status: Int, _ description: String, _ schema: JSONValue, headers: [String: String] = [:]) -> APIResponse {
        APIResponse(status: status, description: description, schema: schema, headers: headers)
    }

    static func empty(_ status: Int, _ description: String, headers: [String: String] = [:]) -> APIResponse {
        APIResponse(status: status, description: description, contentType: nil, headers: headers)
    }

    static func error(_ status: Int, _ description: String, shape: APIOperation.ErrorShape = .standard, headers: [String: String] = [:])
        -> APIResponse
    {
        APIResponse(status: status, description: description, schema: Schema.ref(shape == .standard ? "Error" : "GetCodeResult"), headers: headers)
    }

    var openAPI: JSONValue {
        var value: JSONValue = ["description": .string(description)]
        if !headers.isEmpty {
            value = value.setting(
                "headers",
                .object(headers.sorted { $0.key < $1.key }.map { (key: $0.key, value: ["description": .string($0.value), "schema": Schema.string]) }))
        }
        if let contentType {
            let media: JSONValue = ["schema": schema ?? Schema.string]
            value = value.setting("content", .object([(contentType, media)]))
        }
        return value
    }
}

/// Shorthands for JSON Schema (the OpenAPI 3.0 dialect).
enum Schema {
    static let string: JSONValue = ["type": "string"]
    static let integer: JSONValue = ["type": "integer"]
    static let number: JSONValue = ["type": "number"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let anyObject: JSONValue = ["type": "object", "additionalProperties": true]

    static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    static func array(_ items: JSONValue) -> JSONValue {
        ["type": "array", "items": items]
    }

    static func map(_ values: JSONValue) -> JSONValue {
        ["type": "object", "additionalProperties": values]
    }

    static func string(_ description: String, enum values: [String] = []) -> JSONValue {
        let base: JSONValue = ["type": "string", "description": .string(description)]
        return values.isEmpty ? base : base.setting("enum", .array(values.map(JSONValue.string)))
    }

    static func integer(_ description: String) -> JSONValue {
        ["type": "integer", "description": .string(description)]
    }

    static func object(_ properties: KeyValuePairs<String, JSONValue>, required: [String] = [], description: String? = nil) -> JSONValue {
        var value: JSONValue = ["type": "object"]
        if let description { value = value.setting("description", .string(description)) }
        value = value.setting("properties", .object(properties.map { (key: $0.key, value: $0.value) }))
        if !required.isEmpty { value = value.setting("required", .array(required.map(JSONValue.string))) }
        return value
    }
}
