import Foundation

/// The e-port signing client's wire protocol (DESIGN.md §8), encoded and parsed in one place.
///
/// Requests are `{"_id":N,"_method":…,"args":{…}}`. Replies come nested
/// (`{"_id":N,"_method":…,"_status":"00","_args":{"Result","Data","Error"}}`) or flat (`{"Result","Data","Error"}`);
/// both parse to one `EPortReply`. The first frame of every connection is the `open` handshake.
enum EPortFrames {
    static let signMethod = "cus-sec_SpcSignDataAsPEM"
    static let certNoMethod = "cus-sec_SpcGetCertNo"
    static let digestMethod = "cus-sec_SpcSHA1DigestAsPEM"
    static let certificateMethod = "cus-sec_SpcGetSignCertAsPEM"

    /// `{"_id":N,"_method":"cus-sec_SpcSignDataAsPEM","args":{"inData":…,"passwd":…}}`
    static func signRequest(id: Int, inData: String, passwd: String) -> String {
        "{\"_id\":\(id),\"_method\":\"\(signMethod)\",\"args\":{\"inData\":\(JSONText.quote(inData)),\"passwd\":\(JSONText.quote(passwd))}}"
    }

    /// `{"_id":N,"_method":"cus-sec_SpcGetCertNo","args":{}}`
    static func certNoRequest(id: Int) -> String {
        "{\"_id\":\(id),\"_method\":\"\(certNoMethod)\",\"args\":{}}"
    }

    /// `{"_id":N,"_method":"cus-sec_SpcSHA1DigestAsPEM","args":{"szInfo":…,"passwd":…}}`, as the Java client's
    /// `UkeyInitialConfig.getSHA1DigestAsPEMParams` sends it (the SDK's `cusSpcSHA1DigestAsPEM` leaves `passwd` out).
    static func digestRequest(id: Int, szInfo: String, passwd: String?) -> String {
        let password = passwd.map { ",\"passwd\":\(JSONText.quote($0))" } ?? ""
        return "{\"_id\":\(id),\"_method\":\"\(digestMethod)\",\"args\":{\"szInfo\":\(JSONText.quote(szInfo))\(password)}}"
    }

    /// `{"_id":N,"_method":"cus-sec_SpcGetSignCertAsPEM","args":{}}` (`UkeyInitialConfig.getX509CertificateParameter`).
    static func certificateRequest(id: Int) -> String {
        "{\"_id\":\(id),\"_method\":\"\(certificateMethod)\",\"args\":{}}"
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

    /// One frame from the client: a reply, a `_nextBlock` request of the block transfer, or not a JSON object at all.
    enum Frame: Sendable, Equatable {
        case reply(EPortReply)
        case nextBlock(EPortBlocks.NextBlock)
        case notJSON
    }

    static func parse(_ text: String) -> Frame {
        guard let object = JSONReader.parse(text), case .object = object else { return .notJSON }
        if let next = EPortBlocks.nextBlock(object) { return .nextBlock(next) }
        return .reply(reply(object))
    }

    /// Parses a reply frame; nil when it is not a JSON object at all.
    static func parseReply(_ text: String) -> EPortReply? {
        guard let object = JSONReader.parse(text), case .object = object else { return nil }
        return reply(object)
    }

    /// `_id` may be a number (`1`, `1.0`) or a string (`"1"`): the seed bridge sends a string and the Java client reads
    /// either into an `Integer`. Any other `_id` (`"abc"`, `true`, `1.5`) is kept as `foreignID`: it names no request
    /// of ours, so it is never matched to one.
    private static func reply(_ object: JSONReader.Value) -> EPortReply {
        let rawID = object["_id"].flatMap { $0 == .null ? nil : $0 }
        let id = rawID.flatMap(integer)
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
            foreignID: rawID != nil && id == nil,
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
        case .number(let text):
            if let exact = Int(text) { return exact }
            // `1.0` or `1e0`: integral and in range, or not an id of ours.
            guard let number = Double(text), number.rounded() == number, abs(number) < 9.0e15 else { return nil }
            return Int(number)
        case .string(let text): return Int(trimmed(text))
        default: return nil
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
    /// An `_id` that is there but no integer (`"abc"`): a reply to somebody else, never matched to a request.
    var foreignID = false
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

    /// A `cus-sec_SpcSHA1DigestAsPEM` reply: `Data` is `[base64 SHA-1 digest]`.
    func digest() throws(UpstreamError) -> String {
        let digest = try checked().first.map(EPortFrames.trimmed) ?? ""
        guard !digest.isEmpty else { throw .malformed("摘要结果为空") }
        return digest
    }

    /// A `cus-sec_SpcGetSignCertAsPEM` reply: `Data` is `[base64 DER certificate]`, without PEM armour.
    func certificate() throws(UpstreamError) -> String {
        let certificate = try checked().first.map(EPortFrames.trimmed) ?? ""
        guard !certificate.isEmpty else { throw .malformed("证书为空") }
        return certificate
    }

    /// A `cus-sec_SpcGetCertNo` reply: `Data` is `[certNo]`.
    func certNo() throws(UpstreamError) -> String {
        let certNo = try checked().first.map(EPortFrames.trimmed) ?? ""
        guard !certNo.isEmpty else { throw .malformed("证书序列号为空") }
        return certNo
    }
}
