import Foundation

/// The e-port signing client's wire protocol (DESIGN.md §8), encoded and parsed in one place.
///
/// Requests are `{"_id":N,"_method":…,"args":{…}}`. Replies come nested
/// (`{"_id":N,"_method":…,"_status":"00","_args":{"Result","Data","Error"}}`) or flat (`{"Result","Data","Error"}`);
/// both parse to one `EPortReply`. The first frame of every connection is the `open` handshake.
enum EPortFrames {
    static let signMethod = "cus-sec_SpcSignDataAsPEM"
    static let certNoMethod = "cus-sec_SpcGetCertNo"

    /// `{"_id":N,"_method":"cus-sec_SpcSignDataAsPEM","args":{"inData":…,"passwd":…}}`
    static func signRequest(id: Int, inData: String, passwd: String) -> String {
        "{\"_id\":\(id),\"_method\":\"\(signMethod)\",\"args\":{\"inData\":\(JSONText.quote(inData)),\"passwd\":\(JSONText.quote(passwd))}}"
    }

    /// `{"_id":N,"_method":"cus-sec_SpcGetCertNo","args":{}}`
    static func certNoRequest(id: Int) -> String {
        "{\"_id\":\(id),\"_method\":\"\(certNoMethod)\",\"args\":{}}"
    }

    /// Checks the first frame of a connection: it must be `_method:"open"` with `_status:"00"` (when a status is given).
    static func checkHandshake(_ text: String) throws(UpstreamError) {
        guard let object = JSONReader.parse(text), case .object = object else {
            throw .handshake("首帧不是 JSON 对象: \(excerpt(text))")
        }
        guard object["_method"]?.string == "open" else {
            throw .handshake("首帧的 _method 不是 open: \(excerpt(text))")
        }
        if let status = object["_status"], string(status) != "00" {
            throw .handshake("open 帧的 _status 不是 00: \(excerpt(text))")
        }
    }

    /// Parses a reply frame; nil when it is not a JSON object at all. `_id` may be a number or a numeric string.
    static func parseReply(_ text: String) -> EPortReply? {
        guard let object = JSONReader.parse(text), case .object = object else { return nil }
        let id = object["_id"].flatMap(integer)
        let status = object["_status"].map(string)
        let body: JSONReader.Value =
            if let nested = object["_args"], case .object = nested { nested } else { object }
        let result: Bool? =
            switch body["Result"] {
            case .bool(let flag): flag
            case .number(let number): (Double(number) ?? 0) != 0
            case .string(let text): text.lowercased() == "true"
            default: nil
            }
        return EPortReply(
            id: id,
            method: object["_method"]?.string,
            status: status,
            result: result,
            data: strings(body["Data"]),
            errors: strings(body["Error"])
        )
    }

    /// `text` without surrounding whitespace; untouched text (the usual case) is not copied through `CharacterSet`.
    static func trimmed(_ text: String) -> String {
        guard let first = text.first, let last = text.last, first.isWhitespace || last.isWhitespace else { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func excerpt(_ text: String, limit: Int = 120) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    private static func integer(_ value: JSONReader.Value) -> Int? {
        switch value {
        case .number(let text), .string(let text): Int(text)
        default: nil
        }
    }

    private static func string(_ value: JSONReader.Value) -> String {
        switch value {
        case .string(let text), .number(let text): text
        case .bool(let flag): flag ? "1" : "0"
        case .null: "<null>"
        case .array, .object: "\(value)"
        }
    }

    private static func strings(_ value: JSONReader.Value?) -> [String] {
        switch value {
        case .array(let list): list.map(string)
        case .string(let text): [text]
        default: []
        }
    }
}

/// One parsed reply of the e-port client, either form.
struct EPortReply: Sendable, Equatable {
    var id: Int?
    var method: String?
    var status: String?
    var result: Bool?
    var data: [String]
    var errors: [String]

    /// The reply as an outcome: `_status` other than `00` and `Result` other than true are the upstream's errors.
    func checked() throws(UpstreamError) -> [String] {
        if let status, status != "00" { throw .status(status, errors) }
        guard result == true else {
            if result == nil && errors.isEmpty { throw .malformed("响应中没有 Result 字段") }
            throw .rejected(errors)
        }
        return data
    }

    /// A signing reply: `Data` is `[signature, certNo]`, both non-empty.
    func signature() throws(UpstreamError) -> (sign: String, certNo: String) {
        let data = try checked()
        let sign = data.first.map(EPortFrames.trimmed) ?? ""
        guard !sign.isEmpty else { throw .malformed("签名结果为空") }
        let certNo = data.count > 1 ? EPortFrames.trimmed(data[1]) : ""
        guard !certNo.isEmpty else { throw .malformed("证书序列号为空") }
        return (sign, certNo)
    }

    /// A `cus-sec_SpcGetCertNo` reply: `Data` is `[certNo]`.
    func certNo() throws(UpstreamError) -> String {
        let certNo = try checked().first.map(EPortFrames.trimmed) ?? ""
        guard !certNo.isEmpty else { throw .malformed("证书序列号为空") }
        return certNo
    }
}
