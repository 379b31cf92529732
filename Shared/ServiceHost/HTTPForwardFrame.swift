import Foundation
import SwitchboardProtocol

/// `http.request` as a service reads and answers it: one scan of the frame into a `ForwardedRequest`, the reply written
/// as bytes, with no `JSONDecoder`/`JSONEncoder` on the way (issue 15: one decode and one encode per hop).
///
/// The shape is the `Codable` one of `ForwardedRequest`/`ForwardedResponse`, so any peer that encodes with
/// `JSONEncoder` is read the same. A frame the scan does not take goes to `JSONDecoder`, which answers it exactly as the
/// typed path (`RPCServer.register`) would.
public enum HTTPForwardFrame {
    /// The request of an `http.request` frame, or the `invalid params` reply the typed path gives.
    public static func request(_ frame: [UInt8], id: String) -> Result<ForwardedRequest, Refusal> {
        if let request = scan(frame) { return .success(request) }
        do {
            return .success(try JSONDecoder().decode(RPCRequestParams<ForwardedRequest>.self, from: Data(frame)).params)
        } catch {
            return .failure(Refusal(reply: refusal(id: id, message: "invalid params: \(error)")))
        }
    }

    /// A refused frame's whole reply.
    public struct Refusal: Error {
        public let reply: [UInt8]
    }

    /// The `params` of an `http.request` frame; nil when a required field is missing or has another type.
    public static func scan(_ frame: [UInt8]) -> ForwardedRequest? {
        var scanner = JSONScanner(frame)
        guard scanner.openObject() else { return nil }
        var first = true
        var failed = false
        var request: ForwardedRequest?
        while let key = scanner.nextKey(first: &first, failed: &failed) {
            if key.spells("params") {
                guard let params = params(&scanner) else { return nil }
                request = params
            } else if !scanner.skipValue() {
                return nil
            }
        }
        guard !failed, scanner.atEnd() else { return nil }
        return request
    }

    private static func params(_ scanner: inout JSONScanner) -> ForwardedRequest? {
        guard scanner.openObject() else { return nil }
        var method: String?
        var path: String?
        var clientIP: String?
        var query: [String: String]?
        var headers: [String: String]?
        var body: String?
        var principal: Principal?
        var first = true
        var failed = false
        while let key = scanner.nextKey(first: &first, failed: &failed) {
            if key.spells("method") {
                guard let value = scanner.string() else { return nil }
                method = value
            } else if key.spells("path") {
                guard let value = scanner.string() else { return nil }
                path = value
            } else if key.spells("clientIP") {
                guard let value = scanner.string() else { return nil }
                clientIP = value
            } else if key.spells("query") || key.spells("headers") {
                var map: [String: String] = [:]
                guard scanner.stringMembers({ map[String(decoding: $0, as: UTF8.self)] = String(decoding: $1, as: UTF8.self) }) else {
                    return nil
                }
                if key.spells("query") { query = map } else { headers = map }
            } else if key.spells("body") {
                if scanner.null() {
                    body = nil
                } else {
                    guard let value = scanner.string() else { return nil }
                    body = value
                }
            } else if key.spells("principal") {
                if scanner.null() {
                    principal = nil
                } else {
                    guard let value = Self.principal(&scanner) else { return nil }
                    principal = value
                }
            } else if !scanner.skipValue() {
                return nil
            }
        }
        guard !failed, let method, let path, let clientIP, let query, let headers else { return nil }
        return ForwardedRequest(method: method, path: path, query: query, headers: headers, body: body, clientIP: clientIP, principal: principal)
    }

    private static func principal(_ scanner: inout JSONScanner) -> Principal? {
        guard scanner.openObject() else { return nil }
        var user: String?
        var roles: [String]?
        var first = true
        var failed = false
        while let key = scanner.nextKey(first: &first, failed: &failed) {
            if key.spells("user") {
                guard let value = scanner.string() else { return nil }
                user = value
            } else if key.spells("roles") {
                guard let value = scanner.stringArray() else { return nil }
                roles = value
            } else if !scanner.skipValue() {
                return nil
            }
        }
        guard !failed, let user, let roles else { return nil }
        return Principal(user: user, roles: roles)
    }

    /// `{"id":…,"ok":true,"result":{"status":…,"headers":{…},"body":…}}`, the bytes `JSONEncoder` would give up to key order.
    public static func reply(id: String, _ response: ForwardedResponse) -> [UInt8] {
        var writer = JSONWriter(capacity: response.body.utf8.count + 128)
        writer.raw("{\"id\":")
        writer.string(fast: id)
        writer.raw(",\"ok\":true,\"result\":{\"status\":")
        writer.integer(response.status)
        writer.raw(",\"headers\":{")
        var first = true
        for (name, value) in response.headers {
            if !first { writer.raw(",") }
            first = false
            writer.string(fast: name)
            writer.raw(":")
            writer.string(fast: value)
        }
        writer.raw("},\"body\":")
        writer.string(fast: response.body)
        writer.raw("}}")
        return writer.bytes
    }

    static func refusal(id: String, message: String) -> [UInt8] {
        let envelope = RPCResponseEnvelope<ForwardedResponse>(id: id, error: .badRequest(message))
        return (try? Array(JSONEncoder().encode(envelope))) ?? Array(#"{"id":"","ok":false,"error":{"code":"internal","message":"encode"}}"#.utf8)
    }
}
