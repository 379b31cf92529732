import Foundation
import ServiceKit

/// Where the JWT secret comes from, and why a process without one refuses to start.
///
/// There is no built-in secret: a default in the source is a secret everybody has, and anyone holding it can mint an
/// admin token offline. `switchboard up` generates one into the run dir; compose reads it from an env file; a process
/// started by hand must be given one.
public enum JWTSecret {
    public static let variable = "SWITCHBOARD_JWT_SECRET"
    public static let fileVariable = "SWITCHBOARD_JWT_SECRET_FILE"
    /// Production refuses shorter secrets (32 characters, e.g. 16 random bytes in hex; `openssl rand -hex 32` gives 64).
    public static let minimumLength = 32

    public struct Unsafe: Error, CustomStringConvertible {
        public let description: String
    }

    static let howToSet =
        "set \(variable) to a random secret (e.g. `export \(variable)=$(openssl rand -hex 32)`) or \(fileVariable) to a file holding one; "
        + "`switchboard up` generates one into the run dir by itself"

    /// `SWITCHBOARD_JWT_SECRET`, else the trimmed contents of the file `SWITCHBOARD_JWT_SECRET_FILE` names.
    /// Missing is always an error; in production it must also be at least `minimumLength` characters.
    public static func load(from config: SwitchboardConfig) throws(Unsafe) -> String {
        let secret: String
        if let value = config.environment[variable], !value.isEmpty {
            secret = value
        } else if let path = config.environment[fileVariable], !path.isEmpty {
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw Unsafe(description: "\(fileVariable)=\(path) cannot be read; \(howToSet)")
            }
            secret = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw Unsafe(description: "\(fileVariable)=\(path) is empty; \(howToSet)") }
        } else {
            throw Unsafe(description: "no JWT secret: \(howToSet)")
        }
        if config.isProduction && secret.count < minimumLength {
            throw Unsafe(description: "\(variable) must be at least \(minimumLength) characters in production")
        }
        return secret
    }
}
