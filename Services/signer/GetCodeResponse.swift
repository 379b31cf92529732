import ServiceKit
import SwitchboardProtocol

/// The answers of `/getCode`, byte for byte in the shape its existing callers parse:
/// `{"code":200,"msg":"成功","data":"<hex>"}` and `{"code":4xx|5xx,"msg":"…","data":false}` with a matching HTTP status.
enum GetCodeResponse {
    static func success(data: String) -> ForwardedResponse {
        make(status: 200, body: "{\"code\":200,\"msg\":\"成功\",\"data\":\(JSONText.quote(data))}")
    }

    static func failure(status: Int, message: String) -> ForwardedResponse {
        make(status: status, body: "{\"code\":\(status),\"msg\":\(JSONText.quote(message)),\"data\":false}")
    }

    private static func make(status: Int, body: String) -> ForwardedResponse {
        ForwardedResponse(status: status, headers: ["content-type": "application/json"], body: body)
    }
}
