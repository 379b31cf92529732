import Foundation
import Metrics
import NIOCore
import Synchronization

/// Frames the edge itself writes: `{"type","id","timestamp","data"}` with `timestamp` in integer Unix seconds.
enum ServerFrame {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
    private static let counter = Atomic<UInt64>(0)

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// A unique id with a prefix, for frames that answer nothing in particular (`err_…`, `hb_…`).
    static func uniqueID(_ prefix: String) -> String {
        "\(prefix)_\(now)_\(counter.wrappingAdd(1, ordering: .relaxed).oldValue)"
    }

    /// `{"type","id","timestamp","data"}` in that order (JSONEncoder does not keep key order), `data`'s keys sorted, so
    /// the same frame is always the same bytes.
    static func make<Payload: Encodable>(_ type: String, id: String, data: Payload) -> ByteBuffer {
        guard let payload = try? encoder.encode(data), let typeJSON = try? encoder.encode(type), let idJSON = try? encoder.encode(id) else {
            return ByteBuffer(string: #"{"type":"error","id":"err","timestamp":0,"data":{"code":"INTERNAL_ERROR","message":"encode"}}"#)
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + typeJSON.count + idJSON.count + 48)
        buffer.writeString(#"{"type":"#)
        buffer.writeBytes(typeJSON)
        buffer.writeString(#","id":"#)
        buffer.writeBytes(idJSON)
        buffer.writeString(#","timestamp":\#(now),"data":"#)
        buffer.writeBytes(payload)
        buffer.writeString("}")
        return buffer
    }

    struct ErrorData: Encodable {
        let code: String
        let message: String
        let details: [String: String]?
        let requestID: String?

        enum CodingKeys: String, CodingKey {
            case code, message, details
            case requestID = "request_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(message, forKey: .message)
            try container.encode(details, forKey: .details)
            try container.encode(requestID, forKey: .requestID)
        }
    }

    static func error(_ failure: ProtocolFailure) -> ByteBuffer {
        Counter(label: "switchboard_ws_errors_total", dimensions: [("code", failure.code.rawValue)]).increment()
        return make(
            "error",
            id: uniqueID("err"),
            data: ErrorData(code: failure.code.rawValue, message: failure.message, details: failure.details, requestID: failure.requestID)
        )
    }
}
