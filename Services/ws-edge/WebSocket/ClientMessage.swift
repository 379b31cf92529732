import Foundation

/// A frame a client sent: `{"type","id","timestamp","data"}`. The envelope is checked once; each handler decodes `data`
/// into its own type from the same bytes.
struct ClientMessage: Sendable {
    let type: String
    /// The client's id for this frame (string or number on the wire), echoed in replies as `request_id`.
    let id: String?
    let raw: Data

    private struct Head: Decodable {
        let type: String
        let id: FlexibleID?
    }

    /// Decodes the envelope, or says what is wrong with it (for an `INVALID_MESSAGE` error frame).
    static func parse(_ raw: Data) -> Result<ClientMessage, ProtocolFailure> {
        guard let object = try? JSONSerialization.jsonObject(with: raw, options: [.fragmentsAllowed]) else {
            return .failure(.init(code: .invalidMessage, message: "the frame is not valid JSON"))
        }
        guard object is [String: Any] else {
            return .failure(.init(code: .invalidMessage, message: "the frame must be a JSON object"))
        }
        do {
            let head = try JSONDecoder().decode(Head.self, from: raw)
            guard !head.type.isEmpty else { return .failure(.init(code: .invalidMessage, message: "`type` must not be empty")) }
            return .success(ClientMessage(type: head.type, id: head.id?.value, raw: raw))
        } catch DecodingError.keyNotFound {
            return .failure(.init(code: .invalidMessage, message: "the frame has no `type`"))
        } catch {
            return .failure(.init(code: .invalidMessage, message: "`type` must be a string and `id` a string or number"))
        }
    }

    private struct Envelope<Payload: Decodable>: Decodable {
        let data: Payload?
    }

    /// Decodes `data` as `Payload`; a missing `data` decodes as `empty` when given, otherwise fails.
    func decodeData<Payload: Decodable>(_ type: Payload.Type, empty: Payload? = nil) -> Result<Payload, ProtocolFailure> {
        do {
            let envelope = try JSONDecoder().decode(Envelope<Payload>.self, from: raw)
            if let data = envelope.data { return .success(data) }
            if let empty { return .success(empty) }
            return .failure(.init(code: .invalidMessage, message: "`data` is required for \(self.type)", requestID: id))
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.dropFirst().map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            return .failure(.init(code: .invalidMessage, message: "`data.\(path)` is required", requestID: id))
        } catch let DecodingError.typeMismatch(_, context) {
            let path = context.codingPath.dropFirst().map(\.stringValue).joined(separator: ".")
            return .failure(.init(code: .invalidMessage, message: "`data.\(path)` has the wrong type", requestID: id))
        } catch let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.dropFirst().map(\.stringValue).joined(separator: ".")
            return .failure(.init(code: .invalidMessage, message: "`data.\(path)` must not be null", requestID: id))
        } catch let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.dropFirst().map(\.stringValue).joined(separator: ".")
            return .failure(.init(code: .invalidMessage, message: "`data.\(path)` is invalid: \(context.debugDescription)", requestID: id))
        } catch {
            return .failure(.init(code: .invalidMessage, message: "`data` does not fit \(self.type)", requestID: id))
        }
    }
}

/// An id that clients send as a string or a number.
struct FlexibleID: Decodable, Sendable {
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "id must be a string or number"))
        }
    }
}

/// Error codes of `error` frames.
enum ErrorCode: String, Sendable {
    case invalidMessage = "INVALID_MESSAGE"
    case unknownType = "UNKNOWN_TYPE"
    case rateLimited = "RATE_LIMITED"
    case forbidden = "FORBIDDEN"
    case unauthorized = "UNAUTHORIZED"
    case serviceUnavailable = "SERVICE_UNAVAILABLE"
    case serviceTimeout = "SERVICE_TIMEOUT"
    case rejected = "REJECTED"
    case internalError = "INTERNAL_ERROR"
}

/// Something to answer with an `error` frame while keeping the connection open.
struct ProtocolFailure: Error, Sendable {
    let code: ErrorCode
    let message: String
    var requestID: String?
    var details: [String: String]?

    init(code: ErrorCode, message: String, requestID: String? = nil, details: [String: String]? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.details = details
    }
}
