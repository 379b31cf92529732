import HTTPTypes
import Hummingbird

/// A thrown response in the edge's error shape (`{"code","message"}`), e.g. to refuse a WebSocket upgrade.
struct EdgeHTTPError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.error(code, message, status: status, headers: headers)
    }
}
