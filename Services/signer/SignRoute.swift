import Logging
import ServiceKit
import SwitchboardProtocol

/// `POST /api/sign`: the e-port operations as plain JSON for callers with a JWT and role `operator`.
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
            case "sign":
                let data = try field("data", body.data)
                let password = try field("password", body.password)
                let reply = try await pool.perform(.sign(inData: data, passwd: password), timeout: RequestDeadline.remaining())
                let (sign, certNo) = try reply.signature()
                logger.info("signed \(data.utf8.count) bytes for \(principal.user)")
                return .json(SignOperationResult(signature: sign, certNo: certNo))
            case "cert_no":
                let reply = try await pool.perform(.certNo, timeout: RequestDeadline.remaining())
                return .json(SignOperationResult(certNo: try reply.certNo()))
            default:
                throw HTTPError(400, "invalid_body", "op must be sign or cert_no, not \(body.op)")
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
