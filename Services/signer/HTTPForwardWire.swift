import Foundation
import SwitchboardProtocol

/// `http.request` read and answered without `Codable`: the signer's share of the bus's JSON work per `/getCode`.
///
/// The profile showed `JSONDecoder` (the forwarded request) and `JSONEncoder` (the reply envelope) as the largest
/// user-space items left in the signer. Both shapes are fixed (DESIGN.md §2, `ForwardedRequest`/`ForwardedResponse`),
/// so one `JSONReader` pass reads the request and the reply is written as text. A frame this reader does not take goes
/// to `JSONDecoder`, which answers it exactly as the typed path (`RPCServer.register`) would.
enum HTTPForwardWire {
    /// A frame that is not an `http.request`, with the `invalid params` reply the typed path gives.
    struct Refusal: Error {
        let message: String

        func reply(id: String) -> [UInt8] {
            let envelope = RPCResponseEnvelope<ForwardedResponse>(id: id, error: .badRequest(message))
            return (try? Array(JSONEncoder().encode(envelope))) ?? Array(#"{"id":"","ok":false,"error":{"code":"internal","message":"encode"}}"#.utf8)
        }
    }

    /// The request of an `http.request` frame: scanned, or decoded by `JSONDecoder` when the scan does not take it.
    static func request(_ frame: [UInt8]) -> Result<ForwardedRequest, Refusal> {
        if let request = scan(frame) { return .success(request) }
        do {
            return .success(try JSONDecoder().decode(RPCRequestParams<ForwardedRequest>.self, from: Data(frame)).params)
        } catch {
            return .failure(Refusal(message: "invalid params: \(error)"))
        }
    }

    /// The `params` of an `http.request` frame; nil when any field is missing or has another type.
    static func scan(_ frame: [UInt8]) -> ForwardedRequest? {
        guard let envelope = JSONReader.parse(String(decoding: frame, as: UTF8.self)), let params = envelope["params"],
            case .string(let method) = params["method"], case .string(let path) = params["path"],
            case .string(let clientIP) = params["clientIP"],
            let query = stringMap(params["query"]), let headers = stringMap(params["headers"])
        else { return nil }
        var body: String?
        switch params["body"] {
        case .string(let text): body = text
        case .null, nil: body = nil
        default: return nil
        }
        var principal: Principal?
        switch params["principal"] {
        case .object:
            guard case .string(let user) = params["principal"]?["user"], case .array(let list) = params["principal"]?["roles"] else {
                return nil
            }
            var roles: [String] = []
            for role in list {
                guard case .string(let text) = role else { return nil }
                roles.append(text)
            }
            principal = Principal(user: user, roles: roles)
        case .null, nil: principal = nil
        default: return nil
        }
        return ForwardedRequest(
            method: method, path: path, query: query, headers: headers, body: body, clientIP: clientIP, principal: principal)
    }

    /// `{"id":…,"ok":true,"result":{"status":…,"headers":{…},"body":…}}`
    static func reply(id: String, _ response: ForwardedResponse) -> [UInt8] {
        var text = "{\"id\":\(JSONText.quote(id)),\"ok\":true,\"result\":{\"status\":\(response.status),\"headers\":{"
        var first = true
        for (name, value) in response.headers {
            if !first { text += "," }
            first = false
            text += JSONText.quote(name) + ":" + JSONText.quote(value)
        }
        text += "},\"body\":" + JSONText.quote(response.body) + "}}"
        return Array(text.utf8)
    }

    /// A JSON object of strings (required, as the synthesized decoder requires it).
    private static func stringMap(_ value: JSONReader.Value?) -> [String: String]? {
        guard case .object(let members) = value else { return nil }
        var map: [String: String] = [:]
        for (key, member) in members {
            guard case .string(let text) = member else { return nil }
            map[key] = text
        }
        return map
    }
}
