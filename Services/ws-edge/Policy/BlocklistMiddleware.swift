import Hummingbird

/// Refuses every HTTP request from a blocked address with 403, before routing, from the edge's local copy of the
/// blocklist (`LocalPolicy`): the API, `/health`, the console and the docs alike, not only WebSocket upgrades (those are
/// refused in `WebSocketRoutes.decide` from the same copy, since an upgrade does not pass through the router).
struct BlocklistMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    let policy: LocalPolicy
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let ip = authenticator.clientIP(request, context: context)
        if case .reject(_, let code, let message, _) = policy.refusal(for: ip) {
            return JSONResponse.error(code, message, status: .forbidden)
        }
        return try await next(request, context)
    }
}
