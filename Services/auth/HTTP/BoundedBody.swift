import ServiceKit

/// Auth's own cap on request bodies, far below the edge's general limit: every body auth accepts is a few short fields,
/// and a huge "password" would only buy an attacker KDF and parsing time.
extension HTTPCall {
    static let authBodyLimit = 8 * 1024

    func decodeBounded<Body: Decodable>(_ type: Body.Type = Body.self) throws(HTTPError) -> Body {
        if let body = request.body, body.utf8.count > Self.authBodyLimit {
            throw HTTPError(413, "body_too_large", "the body exceeds \(Self.authBodyLimit) bytes")
        }
        return try decodeBody(type)
    }
}
