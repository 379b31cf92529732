import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import SwitchboardProtocol
import Synchronization

/// `/ws` and `/ws/permissions/{user}`: authenticate and admit before the upgrade (401/403/429 as HTTP), then run a session.
struct WebSocketRoutes: Sendable {
    let authenticator: Authenticator
    let hooks: HookChain
    let session: WebSocketSession
    let queueFrames: Int
    let queueBytes: Int
    private let sequence = ConnectionCounter()

    init(authenticator: Authenticator, hooks: HookChain, session: WebSocketSession, queueFrames: Int, queueBytes: Int) {
        self.authenticator = authenticator
        self.hooks = hooks
        self.session = session
        self.queueFrames = queueFrames
        self.queueBytes = queueBytes
    }

    func register(on router: Router<EdgeRequestContext>) {
        router.ws("ws") { request, context in
            try await admit(request, context: context, endpoint: .main)
        } onUpgrade: { inbound, outbound, wsContext in
            await serve(wsContext.requestContext, inbound: inbound, outbound: outbound)
        }
        router.ws("ws/permissions/{user}") { request, context in
            let user = context.parameters.get("user") ?? ""
            return try await admit(request, context: context, endpoint: .permissions(user: user))
        } onUpgrade: { inbound, outbound, wsContext in
            await serve(wsContext.requestContext, inbound: inbound, outbound: outbound)
        }
    }

    private func admit(_ request: Request, context: EdgeRequestContext, endpoint: Connection.Endpoint) async throws -> RouterShouldUpgrade {
        guard request.headers[.upgrade]?.lowercased() == "websocket" else {
            throw EdgeHTTPError(status: .upgradeRequired, code: "upgrade_required", message: "this endpoint speaks WebSocket only")
        }
        var principal: Principal?
        switch await authenticator.authenticate(request, allowQueryToken: true) {
        case .anonymous: break
        case .authenticated(let verified): principal = verified.principal
        case .rejected(let rejection):
            throw EdgeHTTPError(status: .unauthorized, code: rejection.code, message: rejection.message, headers: [.wwwAuthenticate: "Bearer"])
        }
        if case .permissions(let user) = endpoint {
            guard Self.validUser(user) else {
                throw EdgeHTTPError(status: .badRequest, code: "invalid_user", message: "the user in the path is not a valid user name")
            }
            if let principal {
                guard principal.user == user || principal.roles.contains("admin") else {
                    throw EdgeHTTPError(
                        status: .forbidden, code: "forbidden", message: "a connection for \(user) needs \(user)'s token or an admin's")
                }
            } else if user != "anonymous" {
                throw EdgeHTTPError(status: .unauthorized, code: "unauthorized", message: "only /ws/permissions/anonymous is open without a token")
            }
        }
        let ip = authenticator.clientIP(request, context: context)
        switch await hooks.beforeConnect(ConnectionAttempt(endpoint: endpoint, principal: principal, ip: ip)) {
        case .proceed:
            context.admission.set(.init(endpoint: endpoint, principal: principal, ip: ip))
            return .upgrade([:])
        case .reject(let status, let code, let message, let retryAfter):
            var headers: HTTPFields = [:]
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            throw EdgeHTTPError(status: HTTPResponse.Status(code: status), code: code, message: message, headers: headers)
        }
    }

    private func serve(_ context: EdgeRequestContext, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        guard let admitted = context.admission.admitted else { return }
        let number = sequence.next()
        let registry = session.context.registry
        let connection = Connection(
            id: "\(session.context.edgeID)-\(number)",
            endpoint: admitted.endpoint,
            principal: admitted.principal,
            ip: admitted.ip,
            queue: OutboundQueue(maxFrames: queueFrames, maxBytes: queueBytes),
            onClose: { registry.remove($0) }
        )
        await session.run(connection, inbound: inbound, outbound: outbound)
    }

    static func validUser(_ user: String) -> Bool {
        (1...64).contains(user.count) && user.allSatisfy { $0.isLetter || $0.isNumber || "_.-@".contains($0) }
    }
}

/// Numbers this edge's connections.
final class ConnectionCounter: Sendable {
    private let value = Atomic<UInt64>(0)
    func next() -> UInt64 { value.wrappingAdd(1, ordering: .relaxed).newValue }
}
