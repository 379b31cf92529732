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

    /// The password in the file, creating the file (exclusively, mode 0600) with a new password when it is missing.
    static func ensure(in runDirectory: String) throws -> String {
        let path = path(in: runDirectory)
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let password = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !password.isEmpty { return password }
        }
        let password = generate()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw LaunchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let line = Array("\(password)\n".utf8)
        guard write(descriptor, line, line.count) == line.count else {
            throw LaunchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return password
    }
}
