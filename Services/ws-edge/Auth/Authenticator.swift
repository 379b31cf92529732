import AuthTokens
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardProtocol

/// Finds and verifies the caller's access token (`Authorization: Bearer`, or `?token=` for WebSockets, where browsers
/// cannot set headers) and the caller's address.
struct Authenticator: Sendable {
    let tokens: TokenAuthority
    /// Trust `X-Forwarded-For` (set `SWITCHBOARD_TRUST_PROXY=1` only behind a balancer that sets it).
    let trustProxy: Bool

    enum Outcome: Sendable {
        case anonymous
        case authenticated(TokenAuthority.Verified)
        case rejected(TokenAuthority.Rejection)
    }

    func authenticate(_ request: Request, allowQueryToken: Bool) async -> Outcome {
        await authenticate(headers: request.headers, queryToken: allowQueryToken ? request.uri.queryParameters.get("token") : nil)
    }

    func authenticate(headers: HTTPFields, queryToken: String?) async -> Outcome {
        var token: String?
        if let header = headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                return .rejected(.init(code: "invalid_token", message: "Authorization must be `Bearer <token>`"))
            }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else if let queryToken {
            token = queryToken
        }
        guard let token else { return .anonymous }
        do {
            return .authenticated(try await tokens.verifyAccess(token))
        } catch {
            return .rejected(error)
        }
    }

    func clientIP(_ request: Request, context: EdgeRequestContext) -> String {
        clientIP(headers: request.headers, remoteAddress: context.remoteAddress)
    }

    func clientIP(headers: HTTPFields, remoteAddress: SocketAddress?) -> String {
        if trustProxy, let forwarded = headers[.xForwardedFor]?.split(separator: ",").first {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
