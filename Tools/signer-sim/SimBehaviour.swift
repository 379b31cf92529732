import Foundation
import OpenSSLCrypto
import Synchronization

/// What the simulated e-port client answers to one request frame, with the faults its switches ask for.
///
/// Kept apart from the WebSocket plumbing so the protocol — the handshake, the nested and flat reply forms, `_id`
/// echoing, `Result:false` with `Err:Custom50070` — reads in one place, written independently of the signer's parser.
final class SimBehaviour: Sendable {
    struct Settings: Sendable {
        var password: String
        var certNo: String
        var latency: Duration
        var errorRate: Double
        var garbageRate: Double
        var dropRate: Double
        var dropFirst: Int
        var badHandshake: Bool
        var echoID: Bool
        /// How a reply writes the echoed `_id`: as it came (`same`), or always as a `string` or a `number`.
        var idForm: IDForm
        var flat: Bool
        /// A whole (non-`BLOCKTXT`) request frame longer than this many UTF-8 bytes is refused (0: no limit), as a
        /// client that expects the SDK's blocks past 120 KB.
        var maxWholeFrameBytes: Int
    }

    enum IDForm: String, Sendable, CaseIterable {
        case same, string, number
    }

    /// What to do with one request.
    enum Answer: Sendable {
        case reply(String, after: Duration)
        /// Close the connection (after the latency), as a client that crashed mid-request.
        case drop(after: Duration)
    }

    static let signMethod = "cus-sec_SpcSignDataAsPEM"
    static let certNoMethod = "cus-sec_SpcGetCertNo"
    static let digestMethod = "cus-sec_SpcSHA1DigestAsPEM"
    static let certificateMethod = "cus-sec_SpcGetSignCertAsPEM"
    /// `inData` starting with `#sleep=<ms>#` waits that long instead of `--latency-ms` (the prefix is signed too).
    static let sleepPrefix = "#sleep="

    let settings: Settings
    private let key: RSAPrivateKey
    /// Base64 DER of the card's certificate (`SimCertificate`).
    let certificate: String
    private let dropsLeft: Mutex<Int>
    private let served = Mutex(0)

    init(settings: Settings, key: RSAPrivateKey, certificate: String) {
        self.settings = settings
        self.key = key
        self.certificate = certificate
        dropsLeft = Mutex(settings.dropFirst)
    }

    var requestsServed: Int { served.withLock { $0 } }

    /// The first frame of every connection.
    var handshake: String {
        if settings.badHandshake {
            return encode([
                "_id": 0, "_method": "welcome", "_status": "01", "_args": ["Result": false, "Data": [], "Error": ["not an e-port client"]],
            ])
        }
        return encode(["_id": 0, "_method": "open", "_status": "00", "_args": ["Result": true, "Data": ["signer-sim e-port 1.0"], "Error": []]])
    }

    func answer(_ text: String, whole: Bool = true) -> Answer {
        served.withLock { $0 += 1 }
        if whole, settings.maxWholeFrameBytes > 0, text.utf8.count > settings.maxWholeFrameBytes {
            return .reply(
                reply(id: 0, method: "", status: "01", result: false, data: [], errors: ["Err:Base60413", "数据过大，请分块传输 (BLOCKTXT)"]),
                after: .zero)
        }
        guard let request = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return .reply(reply(id: 0, method: "", status: "01", result: false, data: [], errors: ["Err:BadRequest", "请求不是 JSON"]), after: .zero)
        }
        let id = request["_id"] ?? 0
        let method = request["_method"] as? String ?? ""
        let args = request["args"] as? [String: Any] ?? [:]
        var latency = settings.latency
        let inData = args["inData"] as? String
        if let inData, inData.hasPrefix(Self.sleepPrefix) {
            let digits = inData.dropFirst(Self.sleepPrefix.count).prefix { $0.isNumber }
            if let milliseconds = Int(digits) { latency = .milliseconds(milliseconds) }
        }
        if method == Self.signMethod {
            let drop = dropsLeft.withLock { left in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
            if drop { return .drop(after: latency) }
        }
        if Double.random(in: 0..<1) < settings.dropRate { return .drop(after: latency) }
        if Double.random(in: 0..<1) < settings.garbageRate { return .reply("<html>garbage \(UUID().uuidString)</html>", after: latency) }
        if Double.random(in: 0..<1) < settings.errorRate {
            return .reply(
                reply(id: id, method: method, status: "00", result: false, data: [], errors: ["Err:Custom50070", "模拟的签名失败"]), after: latency)
        }
        switch method {
        case Self.signMethod:
            guard let inData, let passwd = args["passwd"] as? String else {
                return .reply(
                    reply(id: id, method: method, status: "00", result: false, data: [], errors: ["Err:Custom50070", "缺少 inData 或 passwd"]),
                    after: latency)
            }
            guard passwd == settings.password else {
                return .reply(
                    reply(id: id, method: method, status: "00", result: false, data: [], errors: ["Err:Custom50070", "密码错误"]), after: latency)
            }
            do {
                let signature = try key.signSHA1(Array(inData.utf8))
                return .reply(
                    reply(
                        id: id, method: method, status: "00", result: true, data: [Data(signature).base64EncodedString(), settings.certNo], errors: []
                    ), after: latency)
            } catch {
                return .reply(reply(id: id, method: method, status: "00", result: false, data: [], errors: ["Err:Sign", "\(error)"]), after: latency)
            }
        case Self.certNoMethod:
            return .reply(reply(id: id, method: method, status: "00", result: true, data: [settings.certNo], errors: []), after: latency)
        case Self.digestMethod:
            // `passwd` is optional here: the SDK's `cusSpcSHA1DigestAsPEM` sends none, the Java client sends one.
            guard let szInfo = args["szInfo"] as? String else {
                return .reply(
                    reply(id: id, method: method, status: "00", result: false, data: [], errors: ["Err:Custom50070", "缺少 szInfo"]), after: latency)
            }
            if let passwd = args["passwd"], passwd as? String != settings.password {
                return .reply(
                    reply(id: id, method: method, status: "00", result: false, data: [], errors: ["Err:Custom50070", "密码错误"]), after: latency)
            }
            let digest = Data(Digest.sha1(Array(szInfo.utf8))).base64EncodedString()
            return .reply(reply(id: id, method: method, status: "00", result: true, data: [digest], errors: []), after: latency)
        case Self.certificateMethod:
            return .reply(reply(id: id, method: method, status: "00", result: true, data: [certificate], errors: []), after: latency)
        default:
            return .reply(
                reply(id: id, method: method, status: "01", result: false, data: [], errors: ["Err:UnknownMethod", method]), after: latency)
        }
    }

    private func reply(id: Any, method: String, status: String, result: Bool, data: [String], errors: [String]) -> String {
        let body: [String: Any] = ["Result": result, "Data": data, "Error": errors]
        if settings.flat { return encode(body) }
        return encode(["_id": settings.echoID ? form(id) : 0, "_method": method, "_status": status, "_args": body])
    }

    private func form(_ id: Any) -> Any {
        switch settings.idForm {
        case .same: id
        case .string: (id as? String) ?? "\(id)"
        case .number: (id as? NSNumber) ?? (id as? String).flatMap { Int($0) }.map { $0 as Any } ?? id
        }
    }

    private func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
