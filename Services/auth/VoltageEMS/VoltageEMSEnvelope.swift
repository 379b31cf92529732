import Foundation
import ServiceKit
import SwitchboardProtocol

/// The VoltageEMS gateway's response shape, `{"success", "message", "data"}`: its dashboard's HTTP wrapper
/// (`apps/src/utils/request.ts`) accepts a 2xx body only when `success` is true (or `code` is 200, or `status` is
/// "success") and shows `message` either way.
enum VoltageEMSEnvelope {
    /// `{"success": true, "message", "data"}`.
    static func success<Value: Encodable>(_ message: String, _ data: Value, status: Int = 200) -> ForwardedResponse {
        .json(Body(success: true, message: message, data: data, error: nil), status: status)
    }

    /// `{"success": true, "message", "data": null}`.
    static func success(_ message: String) -> ForwardedResponse {
        .json(Body<String?>(success: true, message: message, data: nil, error: nil))
    }

    /// `{"success": false, "message", "data": null, "error": code}`: `error` is Switchboard's code for the failure (the
    /// old gateway's error responses had an `error` field too); never `code`, which the dashboard reads as a number.
    static func failure(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> ForwardedResponse {
        .json(Body<String?>(success: false, message: message, data: nil, error: code), status: status, headers: headers)
    }

    /// Runs a handler and turns every failure into this shape, with the status and headers the failure carries:
    /// the native helpers (body decoding, storage failures, rate limits) throw the native `{code, message}` errors.
    static func wrap(_ body: () async throws -> ForwardedResponse) async -> ForwardedResponse {
        do {
            return try await StorageFailure.http { try await body() }
        } catch let error as HTTPError {
            return reshape(error.response)
        } catch {
            return failure(500, "internal", "\(error)")
        }
    }

    static func reshape(_ native: ForwardedResponse) -> ForwardedResponse {
        struct Native: Decodable {
            let code: String
            let message: String
        }
        guard let parsed = try? JSONDecoder().decode(Native.self, from: Foundation.Data(native.body.utf8)) else { return native }
        var headers = native.headers
        headers["content-type"] = nil
        return failure(native.status, parsed.code, parsed.message, headers: headers)
    }

    struct Body<Payload: Encodable>: Encodable {
        let success: Bool
        let message: String
        let data: Payload
        let error: String?

        enum CodingKeys: String, CodingKey {
            case success, message, data, error
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(success, forKey: .success)
            try container.encode(message, forKey: .message)
            // `data: null` is part of the shape, not an absent field.
            try container.encode(data, forKey: .data)
            try container.encodeIfPresent(error, forKey: .error)
        }
    }
}
