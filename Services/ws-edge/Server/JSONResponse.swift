import Foundation
import Hummingbird
import NIOCore

/// JSON responses in the edge's one style: snake_case keys, `application/json`.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let plainEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make<Value: Encodable>(
        _ value: Value,
        status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:],
        snakeCase: Bool = true
    ) -> Response {
        let data = (try? (snakeCase ? encoder : plainEncoder).encode(value)) ?? Data(#"{"code":"internal","message":"response did not encode"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The error shape of DESIGN.md §4: `{"code","message"}`.
    static func error(_ code: String, _ message: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        struct Body: Encodable {
            let code: String
            let message: String
        }
        return make(Body(code: code, message: message), status: status, headers: headers)
    }
}
