import Logging
import ServiceKit
import SwitchboardProtocol

/// `POST /api/sign`: the e-port operations as plain JSON for callers with a JWT and role `operator`.
///
/// `op` is `sign` (`data`, `password`), `cert_no`, or one of the SDK's method names: `cus-sec_SpcSignDataAsPEM` and
/// `cus-sec_SpcGetCertNo` (the same two), `cus-sec_SpcSHA1DigestAsPEM` (`data` as `szInfo`, `password` optional, as the
/// SDK leaves it out and the Java client sends it) and `cus-sec_SpcGetSignCertAsPEM`.
///
/// Errors use the API's `{"code","message"}` shape: 400 bad body, 401/403 from the token, 502/503/504 from upstream.
struct SignRoute: Sendable {
    let pool: UpstreamPool
    let settings: SignerSettings
    let logger: Logger

    func handle(_ call: HTTPCall) async throws -> ForwardedResponse {
        let principal = try call.require(role: "operator")
        let body = try call.decodeBody(SignOperationRequest.self)
        do {
            switch body.op {
            case "sign", EPortFrames.signMethod:
                let data = try field("data", body.data)
                let password = try field("password", body.password)
                let reply = try await pool.perform(.sign(inData: data, passwd: password), timeout: RequestDeadline.remaining())
                let (sign, certNo) = try reply.signature()
                logger.info("signed \(data.utf8.count) bytes for \(principal.user)")
                return .json(SignOperationResult(signature: sign, certNo: certNo))
            case "cert_no", EPortFrames.certNoMethod:
                let reply = try await pool.perform(.certNo, timeout: RequestDeadline.remaining())
                return .json(SignOperationResult(certNo: try reply.certNo()))
            case EPortFrames.digestMethod:
                let data = try field("data", body.data)
                let password = try body.password.map { (password) throws(HTTPError) in try field("password", password) }
                let reply = try await pool.perform(.digest(szInfo: data, passwd: password), timeout: RequestDeadline.remaining())
                return .json(SignDigestResult(digest: try reply.digest()))
            case EPortFrames.certificateMethod:
                let reply = try await pool.perform(.certificate, timeout: RequestDeadline.remaining())
                return .json(SignCertificateResult(base64: try reply.certificate()))
            default:
                throw HTTPError(
                    400, "invalid_body",
                    "op must be sign, cert_no, \(EPortFrames.digestMethod) or \(EPortFrames.certificateMethod), not \(body.op)")
            }
        } catch let error as UpstreamError {
            logger.warning("/api/sign \(body.op) for \(principal.user) failed: \(error)")
            return .error(error.httpStatus, error.code, error.description)
        }
    }

    private func field(_ name: String, _ value: String?) throws(HTTPError) -> String {
        guard let value, !value.isEmpty else { throw HTTPError(400, "invalid_body", "field \(name) is required and must not be empty") }
        guard value.utf8.count <= settings.maxFieldBytes else {
            throw HTTPError(400, "invalid_body", "field \(name) exceeds \(settings.maxFieldBytes) bytes")
        }
        return value
    }
}
