import Logging
import ServiceKit
import SwitchboardProtocol

/// `POST /getCode`: decrypt, sign through the pool, encrypt — with the old bridge's status codes and body shapes.
struct GetCodeRoute: Sendable {
    let pool: UpstreamPool
    let settings: SignerSettings
    let rateLimit: GetCodeRateLimit
    let logger: Logger

    func handle(_ call: HTTPCall) async -> ForwardedResponse {
        // Before any work, so a flood of garbage bodies is as bounded as a flood of real ones.
        if let refusal = rateLimit.take(call.request.clientIP) {
            var response = GetCodeResponse.failure(status: 429, message: "请求过于频繁，请 \(refusal.retryAfterSeconds) 秒后重试 (too many requests)")
            response.headers["retry-after"] = String(refusal.retryAfterSeconds)
            return response
        }
        let request: GetCodeCodec.Request
        do {
            request = try GetCodeCodec.decodeRequest(call.request.body, key: settings.aesKey, maxFieldBytes: settings.maxFieldBytes)
        } catch {
            return GetCodeResponse.failure(status: 400, message: error.message)
        }
        do {
            let reply = try await pool.perform(.sign(inData: request.str, passwd: request.pwdstr), timeout: RequestDeadline.remaining())
            let (sign, certNo) = try reply.signature()
            return GetCodeResponse.success(data: GetCodeCodec.encodeResult(sign: sign, certNo: certNo, key: settings.aesKey))
        } catch {
            logger.warning("/getCode from \(call.request.clientIP) failed: \(error)")
            return GetCodeResponse.failure(status: error.httpStatus, message: error.description)
        }
    }
}
