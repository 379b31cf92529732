import ServiceKit

/// Where the JWT secret comes from, and when a configuration must refuse to start.
public enum JWTSecret {
    /// The development fallback. It is public, so production refuses it.
    public static let developmentDefault = "switchboard-development-secret-change-me"
    public static let minimumLength = 32

    public struct Unsafe: Error, CustomStringConvertible {
        public let description: String
    }

    /// `SWITCHBOARD_JWT_SECRET`; in production it must be set, not the default, and at least 32 characters.
    public static func load(from config: SwitchboardConfig) throws(Unsafe) -> String {
        let secret = config.string("SWITCHBOARD_JWT_SECRET", default: developmentDefault)
        guard config.isProduction else { return secret }
        if secret == developmentDefault {
            throw Unsafe(description: "SWITCHBOARD_ENV=production needs SWITCHBOARD_JWT_SECRET set to a secret of your own (the default is public)")
        }
        if secret.count < minimumLength {
            throw Unsafe(description: "SWITCHBOARD_JWT_SECRET must be at least \(minimumLength) characters in production")
        }
        return secret
    }
}
