import Foundation
import OpenSSLCrypto

/// The local run's JWT signing secret: generated once into `<run dir>/jwt-secret` (mode 0600) and handed to auth and
/// every edge through `SWITCHBOARD_JWT_SECRET_FILE`, so tokens survive a restart of the run and the secret is never one
/// that ships in the source.
enum JWTSecretFile {
    static let fileName = "jwt-secret"

    /// 32 random bytes as lower-case hex (64 characters).
    static func generate() -> String {
        SecureRandom.bytes(32).map { String(format: "%02x", $0) }.joined()
    }

    static func path(in runDirectory: String) -> String { "\(runDirectory)/\(fileName)" }

    /// The path of the secret file, creating it with a new secret when it is missing or empty.
    static func ensure(in runDirectory: String) throws -> String {
        let path = path(in: runDirectory)
        _ = try PrivateRunFile.ensure(at: path, generate: generate)
        return path
    }
}
