import Foundation
import OpenSSLCrypto

/// The `/getCode` wire format of the bridge this replaces: hex of AES-128/ECB/PKCS5 over a small JSON object, both ways.
///
/// Requests carry `{"str","pwdstr"}`; successful answers carry `{"sign","certNo"}` as uppercase hex. Every way a body
/// can be wrong is a `GetCodeCodec.Invalid` with the message the caller sees in a 400.
enum GetCodeCodec {
    /// What the caller sent, once decrypted and checked.
    struct Request: Sendable, Equatable {
        var str: String
        var pwdstr: String
    }

    /// A body that cannot be a request; `message` goes to the caller as the 400's `msg`.
    struct Invalid: Error, Equatable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Hex (either case) → AES-ECB decrypt → UTF-8 → JSON object → `str`, `pwdstr` (present, strings, non-empty, bounded).
    static func decodeRequest(_ body: String?, key: [UInt8], maxFieldBytes: Int) throws(Invalid) -> Request {
        let text = EPortFrames.trimmed(body ?? "")
        guard !text.isEmpty else { throw Invalid(message: "请求体为空") }
        guard text.utf8.count <= 4 * maxFieldBytes + 1024 else { throw Invalid(message: "请求体过长") }
        guard text.utf8.count % 2 == 0 else { throw Invalid(message: "请求体不是有效的十六进制: 长度为奇数") }
        guard let cipher = Hex.decode(text) else { throw Invalid(message: "请求体不是有效的十六进制: 含非十六进制字符") }
        guard cipher.count % 16 == 0 else { throw Invalid(message: "密文长度不是 16 字节的整数倍") }
        let plain: [UInt8]
        do {
            plain = try AES.decrypt(cipher, key: key, mode: .ecb)
        } catch {
            throw Invalid(message: "解密失败: 密钥错误或密文损坏")
        }
        guard let json = String(validating: plain, as: UTF8.self) else { throw Invalid(message: "解密结果不是 UTF-8 文本") }
        guard let object = JSONReader.parse(json), case .object = object else {
            throw Invalid(message: "解密结果不是 JSON 对象")
        }
        return Request(
            str: try field("str", in: object, maxBytes: maxFieldBytes),
            pwdstr: try field("pwdstr", in: object, maxBytes: maxFieldBytes)
        )
    }

    /// `{"sign":…,"certNo":…}` → AES-ECB → uppercase hex, the `data` of a successful answer.
    static func encodeResult(sign: String, certNo: String, key: [UInt8]) -> String {
        let plain = "{\"sign\":\(JSONText.quote(sign)),\"certNo\":\(JSONText.quote(certNo))}"
        // AES-128-ECB with a 16-byte key and padding on cannot fail.
        let cipher = (try? AES.encrypt(Array(plain.utf8), key: key, mode: .ecb)) ?? []
        return Hex.encode(cipher, uppercase: true)
    }

    private static func field(_ name: String, in object: JSONReader.Value, maxBytes: Int) throws(Invalid) -> String {
        guard let value = object[name], value != .null else { throw Invalid(message: "缺少参数 \(name)") }
        guard case .string(let text) = value else { throw Invalid(message: "参数 \(name) 必须是字符串") }
        guard !text.isEmpty else { throw Invalid(message: "参数 \(name) 不能为空") }
        guard text.utf8.count <= maxBytes else { throw Invalid(message: "参数 \(name) 过长（上限 \(maxBytes) 字节）") }
        return text
    }
}
