import Foundation

/// A frame a client sent: `{"type","id","timestamp","data"}`. The envelope is checked once; each handler decodes `data`
/// into its own type from the same bytes.
public struct ClientMessage: Sendable {
    public let type: String
    /// The client's id for this frame (string or number on the wire), echoed in replies as `request_id`.
    public let id: String?
    public let raw: Data

    /// What the edge reads of every frame before it knows the handler. `envelopeSchema` is recorded from it.
    struct Head: Decodable {
        let type: String
        let id: FlexibleID?
    }

    /// Only the id, so that a frame whose `type` is unusable is still answered with its `request_id`.
    private struct IDOnly: Decodable {
        let id: FlexibleID?
    }

    /// The envelope fields the edge reads, recorded from `Head` (for `/docs/websocket.json` and the bad-input suite).
    public static var envelopeSchema: PayloadSchema { PayloadSchema(recording: Head.self, root: "") }

    /// Decodes the envelope, or says what is wrong with it (for an `INVALID_MESSAGE` error frame).
    public static func parse(_ raw: Data) -> Result<ClientMessage, ProtocolFailure> {
        guard let object = try? JSONSerialization.jsonObject(with: raw, options: [.fragmentsAllowed]) else {
            return .failure(.init(code: .invalidMessage, message: "the frame is not valid JSON"))
        }
        guard object is [String: Any] else {
            return .failure(.init(code: .invalidMessage, message: "the frame must be a JSON object"))
        }
        let decoder = JSONDecoder()
        do {
            let head = try decoder.decode(Head.self, from: raw)
            guard !head.type.isEmpty else {
                return .failure(.init(code: .invalidMessage, message: "`type` must not be empty", requestID: head.id?.value))
            }
            return .success(ClientMessage(type: head.type, id: head.id?.value, raw: raw))
        } catch DecodingError.keyNotFound {
            let id = (try? decoder.decode(IDOnly.self, from: raw))?.id?.value
            return .failure(.init(code: .invalidMessage, message: "the frame has no `type`", requestID: id))
        } catch {
            let id = (try? decoder.decode(IDOnly.self, from: raw))?.id?.value
            return .failure(.init(code: .invalidMessage, message: "`type` must be a string and `id` a string or number", requestID: id))
        }
    }

    private struct Envelope<Payload: Decodable>: Decodable {
        let data: Payload?
    }

    /// Decodes `data` as `Payload`; a missing `data` decodes as `empty` when given, otherwise fails. Every failure names
    /// the field it is about (`data.channels[2]`), so a client can tell which value to fix.
    public func decodeData<Payload: Decodable>(_ type: Payload.Type, empty: Payload? = nil) -> Result<Payload, ProtocolFailure> {
        do {
            let envelope = try JSONDecoder().decode(Envelope<Payload>.self, from: raw)
            if let data = envelope.data { return .success(data) }
            if let empty { return .success(empty) }
            return .failure(.init(code: .invalidMessage, message: "`data` is required for \(self.type)", requestID: id))
        } catch let DecodingError.keyNotFound(key, context) {
            return .failure(.init(code: .invalidMessage, message: "`\(Self.field(context.codingPath + [key]))` is required", requestID: id))
        } catch let DecodingError.typeMismatch(_, context) {
            return .failure(.init(code: .invalidMessage, message: "`\(Self.field(context.codingPath))` has the wrong type", requestID: id))
        } catch let DecodingError.valueNotFound(_, context) {
            return .failure(.init(code: .invalidMessage, message: "`\(Self.field(context.codingPath))` must not be null", requestID: id))
        } catch let DecodingError.dataCorrupted(context) {
            // JSONDecoder reports a number an integer field cannot hold (1e300, 0.5, 2^64) as "not valid JSON" with no
            // coding path; the payload's recorded schema finds the field.
            let unfit = (try? JSONSerialization.jsonObject(with: raw) as? [String: Any])?["data"].flatMap {
                PayloadSchema(recording: Payload.self).firstUnfitInteger(in: $0)
            }
            let field = unfit ?? Self.field(context.codingPath)
            let problem = unfit == nil ? "is invalid" : "must be an integer in range"
            return .failure(.init(code: .invalidMessage, message: "`\(field)` \(problem)", requestID: id))
        } catch {
            return .failure(.init(code: .invalidMessage, message: "`data` does not fit \(self.type)", requestID: id))
        }
    }

    /// `data.channels[2].id` for a coding path that starts at the envelope's `data`.
    static func field(_ path: [any CodingKey]) -> String {
        var text = "data"
        for key in path.dropFirst() {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// An id that clients send as a string or a number.
public struct FlexibleID: Decodable, Sendable {
    public let value: String

    public init(from decoder: any Decoder) throws {
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
public enum ErrorCode: String, Sendable {
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
public struct ProtocolFailure: Error, Sendable {
    public let code: ErrorCode
    public let message: String
    public var requestID: String?
    public var details: [String: String]?

    public init(code: ErrorCode, message: String, requestID: String? = nil, details: [String: String]? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.details = details
    }
}
