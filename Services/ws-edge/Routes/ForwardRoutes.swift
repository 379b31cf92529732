import Bus
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardProtocol

/// Forwards the HTTP API to the services that own it (DESIGN.md §4), as `http.request` over the bus.
///
/// The edge authenticates, bounds the body, and maps bus failures to 503/504; everything else is the service's answer.
/// The request goes out and the answer comes back through `ForwardFrame`: one write and one scan, no `Codable`.
///
/// A trailing slash needs nothing here: the router matches on non-empty path segments (`/api/menu/version/` is
/// `/api/menu/version`), and so does every service's `HTTPRoutes`, which get the path as the client sent it.
struct ForwardRoutes: Sendable {
    let backends: Backends
    let authenticator: Authenticator
    let maxBodyBytes: Int
    let timeout: Duration
    /// The signer waits up to its own upstream timeout (30 s by default) and answers a 504 itself; the edge waits a
    /// little longer so that answer, in `/getCode`'s shape, is what the caller sees.
    let signerTimeout: Duration

    /// Which service owns which path prefix, and how that service's errors look when the bus itself fails.
    static let table: [(prefix: String, service: ServiceName, style: ErrorStyle)] = [
        ("/api/auth", .auth, .standard),
        ("/api/v1/auth", .auth, .standard),
        ("/admin/blocked-ips", .auth, .standard),
        ("/api/menu", .menu, .standard),
        ("/api/permissions", .menu, .standard),
        ("/getCode", .signer, .getCode),
        ("/api/sign", .signer, .standard),
        ("/api/data", .scheduler, .standard),
        ("/api/alarms", .scheduler, .standard),
        ("/api/questions", .scheduler, .standard),
        ("/api/v1/broadcast", .scheduler, .standard),
    ]

    /// Routes that authenticate by what the body carries (a password, a refresh token), forwarded as anonymous when the
    /// request's access token is expired or bad: the VoltageEMS dashboard (`apps/src/utils/request.ts`) sends its stale
    /// access token with every request, the refresh that follows a 401 included, and treats a 401 there as "log in again".
    static let bodyCredentialPaths: Set<String> = ["/api/v1/auth/login", "/api/v1/auth/refresh"]

    enum ErrorStyle: Sendable {
        /// `{"code":"service_unavailable","message":…}` (DESIGN.md §4)
        case standard
        /// `{"code":503,"msg":…,"data":false}`, the contract `/getCode` callers already parse.
        case getCode
    }

    /// The statuses a service may answer with; anything else becomes a 502.
    static let validStatuses = 100...599

    func register(on router: Router<EdgeRequestContext>) {
        for entry in Self.table {
            for path in [entry.prefix, "\(entry.prefix)/**"] {
                for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
                    router.on(RouterPath(path), method: method) { request, context in
                        await forward(request, context: context, to: entry.service, style: entry.style)
                    }
                }
            }
        }
    }

    func forward(_ request: Request, context: EdgeRequestContext, to service: ServiceName, style: ErrorStyle) async -> Response {
        var principal: Principal?
        switch await authenticator.authenticate(request, allowQueryToken: false) {
        case .anonymous: break
        case .authenticated(let verified): principal = verified.principal
        case .rejected(let rejection):
            // A stale token on a route whose credential is the body is ignored, not refused (see `bodyCredentialPaths`).
            let path = request.uri.path
            guard Self.bodyCredentialPaths.contains(path.hasSuffix("/") ? String(path.dropLast()) : path) else {
                return JSONResponse.error(rejection.code, rejection.message, status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
        }
        let body: ByteBuffer
        do {
            var request = request
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return failure(style, status: .contentTooLarge, code: "body_too_large", message: "the body exceeds \(maxBodyBytes) bytes")
        }
        let params = ForwardFrame.params(
            request, body: body, clientIP: authenticator.clientIP(request, context: context), principal: principal)
        do {
            let reply = try await backends.client(service).callRaw(
                method: HTTPForward.name, encodedParams: params, timeout: service == .signer ? signerTimeout : timeout)
            let answer = try ForwardFrame.answer(reply, service: service)
            // `HTTPResponse.Status(code:)` traps outside 0…999: a service's status is checked, not trusted.
            guard Self.validStatuses.contains(answer.status) else {
                return failure(style, status: .badGateway, code: "bad_gateway", message: "\(service) answered with status \(answer.status)")
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: answer.headers, body: .init(byteBuffer: answer.body))
        } catch {
            let status: HTTPResponse.Status = error.code == RPCError.serviceTimeoutCode ? .gatewayTimeout : .serviceUnavailable
            return failure(style, status: status, code: error.code, message: error.message)
        }
    }

    private func failure(_ style: ErrorStyle, status: HTTPResponse.Status, code: String, message: String) -> Response {
        switch style {
        case .standard:
            return JSONResponse.error(code, message, status: status)
        case .getCode:
            struct Body: Encodable {
                let code: Int
                let msg: String
                let data: Bool
            }
            return JSONResponse.make(Body(code: status.code, msg: message, data: false), status: status, snakeCase: false)
        }
    }
}
