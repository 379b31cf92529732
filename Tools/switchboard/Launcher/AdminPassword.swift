import Foundation
import OpenSSLCrypto

/// The local run's first admin password: generated once into `<run dir>/admin-password` (mode 0600) and handed to auth,
/// which creates user `admin` with it if absent. There is never a fixed default password.
enum AdminPassword {
    static let user = "admin"
    static let fileName = "admin-password"

    /// 18 random bytes as base64url: 24 characters, 144 bits.
    static func generate() -> String {
        Data(SecureRandom.bytes(18)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    static func path(in runDirectory: String) -> String { "\(runDirectory)/\(fileName)" }

    /// The password in the file, creating the file with a new password when it is missing or empty.
    static func ensure(in runDirectory: String) throws -> String {
        try PrivateRunFile.ensure(at: path(in: runDirectory), generate: generate)
    }
}
