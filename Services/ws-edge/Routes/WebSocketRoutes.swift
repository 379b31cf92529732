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

    /// The upgrade check the edge channel calls for every upgrade request, on the channel's event loop. Most upgrades
    /// are decided right there: the blocklist, the per-IP counts and a token verified before are all local. Only a
    /// token not seen yet (its signature is checked once, then cached), an edge whose policy has not loaded yet, and
    /// Socket.IO's handshake take the asynchronous path.
    func check(_ head: HTTPRequest, channel: any Channel, logger: Logger) -> EdgeChannel.UpgradeCheck {
        let target = UpgradeTarget(head.path ?? "/")
        if let echo = echoDecision(target) { return .decided(echo) }
        guard policy.hasAttempted,
            let outcome = authenticator.cachedOutcome(headers: head.headerFields, queryToken: target.query("token"))
        else {
            return .pending { await decide(head, channel: channel, logger: logger) }
        }
        switch admit(head, target: target, channel: channel) {
        case .decided(let decision): return .decided(decision)
        case .socketIO: return .pending { await decide(head, channel: channel, logger: logger) }
        case .session(let endpoint, let ip): return .decided(admit(endpoint, ip: ip, outcome))
        }
    }

    /// The same decision, waiting where it must: for the policy's first load and for a token's signature check.
    func decide(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> EdgeChannel.Decision {
        let target = UpgradeTarget(head.path ?? "/")
        if let echo = echoDecision(target) { return echo }
        await policy.waitForFirstLoad()
        switch admit(head, target: target, channel: channel) {
        case .decided(let decision):
            return decision
        case .socketIO(let socketIO, let ip):
            return await socketIO.decide(head, query: target.queryItems, ip: ip)
        case .session(let endpoint, let ip):
            return admit(endpoint, ip: ip, await authenticator.authenticate(headers: head.headerFields, queryToken: target.query("token")))
        }
    }

    private func echoDecision(_ target: UpgradeTarget) -> EdgeChannel.Decision? {
        guard target.path == "/ws/echo", let echo else { return nil }
        return .upgrade { WebSocketConnectionHandler(role: .echo, settings: echo, eventLoop: $0) }
    }

    /// What the path and the caller's address decide before the token matters.
    private enum Admission {
        case decided(EdgeChannel.Decision)
        case socketIO(SocketIORoutes, ip: String)
        case session(Connection.Endpoint, ip: String)
    }

    private func admit(_ head: HTTPRequest, target: UpgradeTarget, channel: any Channel) -> Admission {
        // Upgrades do not pass through the router, so the blocklist (`BlocklistMiddleware` for everything else) is
        // checked here, first, from the same local copy.
        let ip = authenticator.clientIP(headers: head.headerFields, remoteAddress: channel.remoteAddress)
        if case .reject(_, let code, let message, _) = policy.refusal(for: ip) { return .decided(Self.refuse(.forbidden, code, message)) }
        let path = target.path
        if SocketIORoutes.paths.contains(path), let socketIO { return .socketIO(socketIO, ip: ip) }
        if path == "/ws" || path == "/ws/" { return .session(.main, ip: ip) }
        let parts = path.split(separator: "/")
        if path.hasPrefix("/ws/permissions/"), parts.count == 3 {
            return .session(.permissions(user: String(parts[2]).removingPercentEncoding ?? ""), ip: ip)
        }
        return .decided(Self.refuse(.notFound, "not_found", "no WebSocket endpoint at \(path)"))
    }

    private func admit(_ endpoint: Connection.Endpoint, ip: String, _ outcome: Authenticator.Outcome) -> EdgeChannel.Decision {
        let principal: Principal?
        switch outcome {
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
        switch sessions.hooks.beforeConnect(ConnectionAttempt(endpoint: endpoint, principal: principal, ip: ip)) {
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
