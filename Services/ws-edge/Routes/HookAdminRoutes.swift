import Foundation
import Hummingbird

/// `GET /admin/hooks` lists the hooks with priority and state; `POST /admin/hooks {"name","enabled"}` switches one (admin).
struct HookAdminRoutes: Sendable {
    let hooks: HookChain
    let authenticator: Authenticator

    private struct Toggle: Decodable {
        let name: String
        let enabled: Bool
    }

    func register(on router: Router<EdgeRequestContext>) {
        router.get("admin/hooks") { request, _ -> Response in
            if let refusal = await requireAdmin(request) { return refusal }
            return JSONResponse.make(["hooks": hooks.entries])
        }
        router.post("admin/hooks") { request, _ -> Response in
            if let refusal = await requireAdmin(request) { return refusal }
            var request = request
            guard let body = try? await request.collectBody(upTo: 16 * 1024),
                let toggle = try? JSONDecoder().decode(Toggle.self, from: Data(buffer: body))
            else {
                return JSONResponse.error("invalid_body", #"expected {"name": string, "enabled": bool}"#, status: .badRequest)
            }
            guard hooks.setEnabled(toggle.name, toggle.enabled) else {
                return JSONResponse.error("not_found", "no hook named \(toggle.name)", status: .notFound)
            }
            return JSONResponse.make(["hooks": hooks.entries])
        }
    }

    private func requireAdmin(_ request: Request) async -> Response? {
        switch await authenticator.authenticate(request, allowQueryToken: false) {
        case .anonymous:
            return JSONResponse.error("unauthorized", "this route needs an admin's access token", status: .unauthorized)
        case .rejected(let rejection):
            return JSONResponse.error(rejection.code, rejection.message, status: .unauthorized)
        case .authenticated(let verified):
            return verified.principal.roles.contains("admin") ? nil : JSONResponse.error("forbidden", "admins only", status: .forbidden)
        }
    }
}
