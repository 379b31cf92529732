import Logging
import ServiceKit
import SwitchboardProtocol

/// `POST /getCode`: decrypt, sign through the pool, encrypt — with the old bridge's status codes and body shapes.
struct GetCodeRoute: Sendable {
    let pool: UpstreamPool
    let settings: SignerSettings
    let logger: Logger

    func handle(_ call: HTTPCall) async -> ForwardedResponse {
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
