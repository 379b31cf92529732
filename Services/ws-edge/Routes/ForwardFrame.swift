import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardProtocol

/// The edge's half of `http.request` on the wire: the request's `params` written straight from the HTTP request, and
/// the reply read straight into the response's fields and body (issue 15: one encode and one decode per hop).
///
/// The shape is `ForwardedRequest`/`ForwardedResponse` as `Codable` spells them, so every service reads it as before;
/// no `[String: String]` header map is built on the way out or back, and the body is copied, not re-encoded, unless it
/// needs JSON escapes. A reply the scan does not take (an error, an unusual spelling) goes to `JSONDecoder`.
enum ForwardFrame {
    /// The request headers a service may need, with their JSON keys written once.
    static let forwardedHeaders: [(name: HTTPField.Name, key: [UInt8])] = [HTTPField.Name.contentType, .ifNoneMatch, .userAgent, .accept].map {
        var writer = JSONWriter()
        writer.string($0.canonicalName)
        return ($0, writer.bytes)
    }

    /// `{"method","path","query","headers","body","clientIP","principal"}` of a forwarded request.
    static func params(_ request: Request, body: ByteBuffer, clientIP: String, principal: Principal?) -> [UInt8] {
        var writer = JSONWriter(capacity: body.readableBytes + 256)
        writer.raw("{\"method\":")
        writer.string(fast: request.method.rawValue)
        writer.raw(",\"path\":")
        writer.string(fast: request.uri.path)
        writer.raw(",\"query\":{")
        if let query = request.uri.query, !query.isEmpty {
            // Rare on the hot routes; a repeated key keeps its last value, as it always has.
            var map: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { map[String(key)] = String(value) }
            var first = true
            for (key, value) in map {
                if !first { writer.raw(",") }
                first = false
                writer.string(fast: key)
                writer.raw(":")
                writer.string(fast: value)
            }
        }
        writer.raw("},\"headers\":{")
        var first = true
        for header in forwardedHeaders {
            guard let value = request.headers[header.name] else { continue }
            if !first { writer.raw(",") }
            first = false
            writer.raw(header.key)
            writer.raw(":")
            writer.string(fast: value)
        }
        writer.raw("},\"body\":")
        if body.readableBytes == 0 {
            writer.raw("null")
        } else {
            body.withUnsafeReadableBytes { writer.string(utf8: $0) }
        }
        writer.raw(",\"clientIP\":")
        writer.string(fast: clientIP)
        writer.raw(",\"principal\":")
        if let principal {
            writer.raw("{\"user\":")
            writer.string(fast: principal.user)
            writer.raw(",\"roles\":[")
            for (index, role) in principal.roles.enumerated() {
                if index > 0 { writer.raw(",") }
                writer.string(fast: role)
            }
            writer.raw("]}")
        } else {
            writer.raw("null")
        }
        writer.raw("}")
        return writer.bytes
    }

    /// A service's answer, ready to become a `Response`.
    struct Answer {
        var status: Int
        var headers: HTTPFields
        var body: ByteBuffer
    }

    /// The answer in a reply frame, or the `RPCError` the service (or a broken reply) stands for.
    static func answer(_ reply: [UInt8], service: ServiceName) throws(RPCError) -> Answer {
        if let answer = scan(reply) { return answer }
        let envelope: RPCResponseEnvelope<ForwardedResponse>
        do {
            envelope = try JSONDecoder().decode(RPCResponseEnvelope<ForwardedResponse>.self, from: Data(reply))
        } catch {
            throw RPCError(code: RPCError.internalCode, message: "\(service) sent a reply that does not decode: \(error)")
        }
        guard envelope.ok, let result = envelope.result else {
            throw envelope.error ?? RPCError(code: RPCError.internalCode, message: "\(service) sent a reply with neither result nor error")
        }
        var fields = HTTPFields()
        for (name, value) in result.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Answer(status: result.status, headers: fields, body: ByteBuffer(string: result.body))
    }

    /// `{"id":…,"ok":true,"result":{"status","headers","body"}}` read in one pass; nil for anything else.
    static func scan(_ reply: [UInt8]) -> Answer? {
        var scanner = JSONScanner(reply)
        guard scanner.openObject() else { return nil }
        var ok = false
        var answer: Answer?
        var first = true
        var failed = false
        while let key = scanner.nextKey(first: &first, failed: &failed) {
            if key.spells("ok") {
                guard let value = scanner.bool() else { return nil }
                ok = value
            } else if key.spells("result") {
                guard let value = result(&scanner) else { return nil }
                answer = value
            } else if !scanner.skipValue() {
                return nil
            }
        }
        guard !failed, ok, scanner.atEnd() else { return nil }
        return answer
    }

    private static func result(_ scanner: inout JSONScanner) -> Answer? {
        guard scanner.openObject() else { return nil }
        var status: Int?
        var fields: HTTPFields?
        var body: ByteBuffer?
        var first = true
        var failed = false
        while let key = scanner.nextKey(first: &first, failed: &failed) {
            if key.spells("status") {
                guard let value = scanner.integer() else { return nil }
                status = value
            } else if key.spells("headers") {
                var headers = HTTPFields()
                let read = scanner.stringMembers { name, value in
                    if let field = HTTPField.Name(String(decoding: name, as: UTF8.self)) { headers[field] = String(decoding: value, as: UTF8.self) }
                }
                guard read else { return nil }
                fields = headers
            } else if key.spells("body") {
                guard let value = scanner.stringBytes() else { return nil }
                body = ByteBuffer(bytes: value)
            } else if !scanner.skipValue() {
                return nil
            }
        }
        guard !failed, let status, let fields, let body else { return nil }
        return Answer(status: status, headers: fields, body: body)
    }
}
