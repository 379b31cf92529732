import JWTKit

/// The claims of a Switchboard access token: who (`sub`), what they may do (`roles`), until when (`exp`).
///
/// Access tokens are short-lived HS256 JWTs that the edge verifies by itself, without a call to auth on the hot path.
public struct AccessClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var roles: [String]
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim
    /// `access`; keeps any other kind of token from being accepted as one.
    public var typ: String

    public init(sub: SubjectClaim, roles: [String], exp: ExpirationClaim, iat: IssuedAtClaim, jti: IDClaim, typ: String = "access") {
        self.sub = sub
        self.roles = roles
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.typ = typ
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard typ == "access" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token") }
    }
}
