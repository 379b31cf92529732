import Hummingbird

/// Refuses every HTTP request from a blocked address with 403, before routing, from the edge's local copy of the
/// blocklist (`LocalPolicy`): the API, `/health`, the console and the docs alike, not only WebSocket upgrades (those are
/// refused in `WebSocketRoutes.decide` from the same copy, since an upgrade does not pass through the router).
///
/// One exception: `/admin/blocked-ips` with an admin's token still passes, so an operator who blocked their own address
/// (or a whole /64 they sit in) can lift the block. And after a change made through this edge the local copy is
/// re-read before answering, so the admin's next request already sees it here (other edges get auth's notice).
struct BlocklistMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    let loader: PolicyLoader
    let authenticator: Authenticator

    static let adminPath = "/admin/blocked-ips"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        await loader.policy.waitForFirstLoad()
        let ip = authenticator.clientIP(request, context: context)
        let isBlocklistAdmin = request.uri.path == Self.adminPath || request.uri.path.hasPrefix(Self.adminPath + "/")
        if case .reject(_, let code, let message, _) = loader.policy.refusal(for: ip) {
            let liftingIt = isBlocklistAdmin ? await isAdmin(request) : false
            if !liftingIt { return JSONResponse.error(code, message, status: .forbidden) }
        }
        let response = try await next(request, context)
        if isBlocklistAdmin, request.method != .get, (200..<300).contains(response.status.code) { await loader.reload() }
        return response
    }

    private func isAdmin(_ request: Request) async -> Bool {
        if case .authenticated(let verified) = await authenticator.authenticate(request, allowQueryToken: false) {
            return verified.principal.roles.contains("admin")
        }
        return false
    }
}
