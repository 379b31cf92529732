import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchboardProtocol
import Synchronization

/// `/ws` and `/ws/permissions/{user}`: authenticate and admit before the upgrade — refusals are real HTTP answers
/// (401 bad token, 403 forbidden, 429 limits with `Retry-After`) — then hand the upgraded connection to a `WebSocketConnectionHandler`.
struct WebSocketRoutes: Sendable {
    let authenticator: Authenticator
    let policy: LocalPolicy
    let sessions: WebSocketSessions
    /// `/ws/echo`'s bounds when `SWITCHBOARD_WS_ECHO=1` (the conformance suite's endpoint); nil: no such endpoint.
    let echo: WebSocketSettings?
    /// `/socket.io/`'s WebSocket transport (Engine.IO v4); nil: no Socket.IO endpoint.
    let socketIO: SocketIORoutes?

    /// A plain GET on a WebSocket path is told to upgrade.
    func register(on router: Router<EdgeRequestContext>) {
        for path in ["ws", "ws/permissions/{user}"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                JSONResponse.error("upgrade_required", "this endpoint speaks WebSocket only", status: .upgradeRequired)
            }
        }
    }

    /// The upgrade check the edge channel calls for every upgrade request.
    func decide(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> EdgeChannel.Decision {
        let target = head.path ?? "/"
        let components = URLComponents(string: target)
        let path = components?.path ?? target
        if path == "/ws/echo", let echo {
            return .upgrade { WebSocketConnectionHandler(role: .echo, settings: echo, eventLoop: $0) }
        }
        let queryToken = components?.queryItems?.first { $0.name == "token" }?.value
        // Upgrades do not pass through the router, so the blocklist (`BlocklistMiddleware` for everything else) is
        // checked here, first, from the same local copy.
        await policy.waitForFirstLoad()
        let ip = authenticator.clientIP(headers: head.headerFields, remoteAddress: channel.remoteAddress)
        if case .reject(_, let code, let message, _) = policy.refusal(for: ip) { return Self.refuse(.forbidden, code, message) }
        if SocketIORoutes.paths.contains(path), let socketIO {
            var query: [String: String] = [:]
            for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
            return await socketIO.decide(head, query: query, ip: ip)
        }
        let endpoint: Connection.Endpoint
        if path == "/ws" || path == "/ws/" {
            endpoint = .main
        } else if path.hasPrefix("/ws/permissions/"), path.split(separator: "/").count == 3 {
            let user = String(path.split(separator: "/")[2]).removingPercentEncoding ?? ""
            endpoint = .permissions(user: user)
        } else {
            return Self.refuse(.notFound, "not_found", "no WebSocket endpoint at \(path)")
        }

        let principal: Principal?
        switch await authenticator.authenticate(headers: head.headerFields, queryToken: queryToken) {
        case .anonymous: principal = nil
        case .authenticated(let verified): principal = verified.principal
        case .rejected(let rejection):
            return Self.refuse(.unauthorized, rejection.code, rejection.message, headers: [.wwwAuthenticate: "Bearer"])
        }
        if case .permissions(let user) = endpoint {
            guard Self.validUser(user) else { return Self.refuse(.badRequest, "invalid_user", "the user in the path is not a valid user name") }
            if let principal {
                guard principal.user == user || principal.roles.contains("admin") else {
                    return Self.refuse(.forbidden, "forbidden", "a connection for \(user) needs \(user)'s token or an admin's")
                }
            } else if user != "anonymous" {
                return Self.refuse(.unauthorized, "unauthorized", "only /ws/permissions/anonymous is open without a token")
            }
        }
        switch await sessions.hooks.beforeConnect(ConnectionAttempt(endpoint: endpoint, principal: principal, ip: ip)) {
        case .proceed:
            let sessions = self.sessions
            return .upgrade { loop in
                WebSocketConnectionHandler(
                    role: .session(sessions, endpoint: endpoint, principal: principal, ip: ip), settings: sessions.settings, eventLoop: loop)
            }
        case .reject(let status, let code, let message, let retryAfter):
            var headers: HTTPFields = [:]
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            return Self.refuse(HTTPResponse.Status(code: status), code, message, headers: headers)
        }
    }

    static func refuse(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) -> EdgeChannel.Decision {
        struct Body: Encodable {
            let code: String
            let message: String
        }
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONEncoder().encode(Body(code: code, message: message))) ?? Data()
        return .refuse(status: status, headers: fields, body: ByteBuffer(bytes: body))
    }

    static func validUser(_ user: String) -> Bool {
        (1...64).contains(user.count) && user.allSatisfy { $0.isLetter || $0.isNumber || "_.-@".contains($0) }
    }
}
