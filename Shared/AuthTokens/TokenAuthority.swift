import Foundation
import JWTKit
import SwitchboardProtocol

/// Issues and verifies access tokens with the shared HS256 secret (auth issues, the edge and auth verify).
public final class TokenAuthority: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: String) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
    }

    /// A verified token's caller and expiry.
    public struct Verified: Sendable, Equatable {
        public let principal: Principal
        public let expiresAt: Date
        public let tokenID: String

        public init(principal: Principal, expiresAt: Date, tokenID: String) {
            self.principal = principal
            self.expiresAt = expiresAt
            self.tokenID = tokenID
        }
    }

    /// Why a token was refused; `message` is safe to show to the client.
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        public let code: String
        public let message: String
        public var description: String { "\(code): \(message)" }

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public func issueAccess(user: String, roles: [String], lifetime: Duration, now: Date = Date()) async throws -> (
        token: String, claims: AccessClaims
    ) {
        let claims = AccessClaims(
            sub: SubjectClaim(value: user),
            roles: roles,
            exp: ExpirationClaim(value: now.addingTimeInterval(lifetime.secondsValue)),
            iat: IssuedAtClaim(value: now),
            jti: IDClaim(value: UUID().uuidString.lowercased())
        )
        return (try await keys.sign(claims), claims)
    }

    public func verifyAccess(_ token: String) async throws(Rejection) -> Verified {
        do {
            let claims = try await keys.verify(token, as: AccessClaims.self)
            return Verified(principal: Principal(user: claims.sub.value, roles: claims.roles), expiresAt: claims.exp.value, tokenID: claims.jti.value)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw Rejection(code: "token_expired", message: "the access token has expired or is not an access token")
        } catch {
            throw Rejection(code: "invalid_token", message: "the access token is malformed or its signature does not verify")
        }
    }
}

extension Duration {
    var secondsValue: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
