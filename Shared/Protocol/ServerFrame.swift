import Foundation
import Synchronization

/// The one writer of the `{"type","id","timestamp","data"}` frames clients receive, for every service and the edge:
/// `timestamp` in integer Unix seconds, keys in that order, `data`'s keys sorted, so the same frame is the same bytes.
public enum ServerFrame {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
    private static let counter = Atomic<UInt64>(0)

    public static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// A unique id with a prefix, for frames that answer nothing in particular (`err_…`, `hb_…`).
    public static func uniqueID(_ prefix: String) -> String {
        "\(prefix)_\(now)_\(counter.wrappingAdd(1, ordering: .relaxed).oldValue)"
    }

    /// The envelope around `data`, which is JSON already (e.g. written by `JSONWriter`).
    public static func envelope(_ type: String, id: String, timestamp: Int64 = now, dataJSON: [UInt8]) -> [UInt8] {
        var writer = JSONWriter(capacity: dataJSON.count + type.utf8.count + id.utf8.count + 48)
        writer.raw(#"{"type":"#)
        writer.string(type)
        writer.raw(#","id":"#)
        writer.string(id)
        writer.raw(#","timestamp":"#)
        writer.integer(Int(timestamp))
        writer.raw(#","data":"#)
        writer.raw(dataJSON)
        writer.raw("}")
        return writer.bytes
    }

    public static func make<Payload: Encodable>(_ type: String, id: String, timestamp: Int64 = now, data: Payload) -> [UInt8] {
        guard let payload = try? encoder.encode(data) else {
            return Array(#"{"type":"error","id":"err","timestamp":0,"data":{"code":"INTERNAL_ERROR","message":"encode"}}"#.utf8)
        }
        return envelope(type, id: id, timestamp: timestamp, dataJSON: Array(payload))
    }

    /// A reply to a client frame: `id` is `<request id>_<type>`, as every reply of DESIGN.md §3.
    public static func reply<Payload: Encodable>(_ type: String, to requestID: String?, _ data: Payload) -> [UInt8] {
        make(type, id: "\(requestID ?? uniqueID("req"))_\(type)", data: data)
    }

    private struct ErrorData: Encodable {
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

    /// An `error` frame (`code` is one of the protocol's error codes, e.g. `INVALID_MESSAGE`).
    public static func error(code: String, message: String, requestID: String?, details: [String: String]? = nil) -> [UInt8] {
        make("error", id: uniqueID("err"), data: ErrorData(code: code, message: message, details: details, requestID: requestID))
    }
}
