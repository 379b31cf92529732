import AuthTokens
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit
import SwitchboardProtocol

/// Finds and verifies the caller's access token (`Authorization: Bearer`, or `?token=` for WebSockets, where browsers
/// cannot set headers) and the caller's address.
///
/// Verified tokens are cached for their lifetime (`VerifiedTokenCache`), so a client that reconnects with the same
/// token, or an API client sending it on every request, costs one HMAC per token rather than one per upgrade.
struct Authenticator: Sendable {
    let tokens: TokenAuthority
    /// `SWITCHBOARD_TRUSTED_PROXIES`: the peers whose `X-Forwarded-For` is believed (empty: nobody's).
    let trustedProxies: [CIDR]
    let cache: VerifiedTokenCache
    /// `SWITCHBOARD_ANONYMOUS_ROLE`'s principal for tokenless WebSocket upgrades (`AnonymousRole`); nil: none.
    let anonymousPrincipal: Principal?

    init(tokens: TokenAuthority, trustedProxies: [CIDR], cache: VerifiedTokenCache = VerifiedTokenCache(), anonymousPrincipal: Principal? = nil) {
        self.tokens = tokens
        self.trustedProxies = trustedProxies
        self.cache = cache
        self.anonymousPrincipal = anonymousPrincipal
    }

    enum Outcome: Sendable {
        case anonymous
        case authenticated(TokenAuthority.Verified)
        case rejected(TokenAuthority.Rejection)
    }

    /// An HTTP request's caller. The anonymous role does not apply here: it is for the plant dashboard's WebSocket only.
    func authenticate(_ request: Request, allowQueryToken: Bool) async -> Outcome {
        await verify(headers: request.headers, queryToken: allowQueryToken ? request.uri.queryParameters.get("token") : nil)
    }

    /// A WebSocket upgrade's caller: as for HTTP, except that a caller without a token gets the anonymous role's
    /// principal when `SWITCHBOARD_ANONYMOUS_ROLE` is set.
    func authenticate(headers: HTTPFields, queryToken: String?) async -> Outcome {
        let outcome = await verify(headers: headers, queryToken: queryToken)
        if case .anonymous = outcome, let anonymousPrincipal { return Self.anonymous(anonymousPrincipal) }
        return outcome
    }

    /// A WebSocket upgrade's caller when that needs no signature check (no token, a malformed header, or a token
    /// verified before and still cached); nil when the token must be verified (`authenticate`).
    func cachedOutcome(headers: HTTPFields, queryToken: String?) -> Outcome? {
        switch Self.token(headers: headers, queryToken: queryToken) {
        case .failure(let rejection): return .rejected(rejection)
        case .success(nil): return anonymousPrincipal.map { Self.anonymous($0) } ?? .anonymous
        case .success(let token?): return cache.lookup(token).map { .authenticated($0) }
        }
    }

    private static func anonymous(_ principal: Principal) -> Outcome {
        .authenticated(TokenAuthority.Verified(principal: principal, expiresAt: .distantFuture, tokenID: "anonymous"))
    }

    /// The bearer token, or `?token=` when there is no `Authorization` header.
    private static func token(headers: HTTPFields, queryToken: String?) -> Result<String?, TokenAuthority.Rejection> {
        guard let header = headers[.authorization] else { return .success(queryToken) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(.init(code: "invalid_token", message: "Authorization must be `Bearer <token>`"))
        }
        return .success(String(parts[1]).trimmingCharacters(in: .whitespaces))
    }

    private func verify(headers: HTTPFields, queryToken: String?) async -> Outcome {
        switch Self.token(headers: headers, queryToken: queryToken) {
        case .failure(let rejection): return .rejected(rejection)
        case .success(nil): return .anonymous
        case .success(let token?):
            do {
                return .authenticated(try await tokens.verifyAccess(token, cache: cache))
            } catch {
                return .rejected(error)
            }
        }
    }

    func clientIP(_ request: Request, context: EdgeRequestContext) -> String {
        clientIP(headers: request.headers, remoteAddress: context.remoteAddress)
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the right-most `X-Forwarded-For`
    /// entry that is not itself a trusted proxy.
    ///
    /// Right-most, because each proxy appends the address it saw: everything left of the last untrusted hop was written
    /// by that hop, i.e. by the client, and is whatever the client wanted it to be. An unparsable entry ends the walk at
    /// the last trusted hop, so garbage can never become an address. The header of an untrusted peer is ignored.
    func clientIP(headers: HTTPFields, remoteAddress: SocketAddress?) -> String {
        guard let peerText = remoteAddress?.ipAddress else { return "unknown" }
        guard let peer = IPAddress(peerText) else { return peerText }
        guard trustedProxies.contains(peer) else { return peer.description }
        let hops = headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
        var nearest = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else { break }
            nearest = address
            if !trustedProxies.contains(address) { break }
        }
        return nearest.description
    }

    /// Whether operational detail (`/health` details, `/metrics`, `/websocket/status`) may be shown to this request: an
    /// admin's token, or a loopback caller (DESIGN.md §9). A request through a trusted proxy is judged by its forwarded
    /// address, so a proxy on the same host does not make every remote client "local".
    func maySeeDetails(_ request: Request, context: EdgeRequestContext) async -> Bool {
        if IPAddress(clientIP(request, context: context))?.isLoopback == true { return true }
        if case .authenticated(let verified) = await authenticate(request, allowQueryToken: false) {
            return verified.principal.roles.contains("admin")
        }
        return false
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
