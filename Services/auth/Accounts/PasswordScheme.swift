import OpenSSLCrypto

/// What a stored verifier was derived from: the password itself (accounts made before `/api/v1` existed) or the
/// lowercase MD5 hex of it, which is what the VoltageEMS dashboard's login page sends (`crypto-js/md5`).
///
/// Every account Switchboard creates now uses `md5Hex`, so one verifier serves both routes: the native route hashes the
/// typed password to MD5 hex first, `/api/v1` receives that hex from the browser. The MD5 step adds no secrecy and
/// takes none away: PBKDF2 with a per-account salt and the configured cost still runs over it (see the README).
enum PasswordScheme: String, Sendable {
    /// PBKDF2 over the password's UTF-8 bytes; the record has no `scheme` field. Upgraded at the next native login.
    case plain
    /// PBKDF2 over the 32 lowercase hex digits of MD5(password).
    case md5Hex = "md5"

    /// The stored field's value; a missing field is the old scheme.
    init(stored: String?) {
        self = stored.flatMap(PasswordScheme.init(rawValue:)) ?? .plain
    }

    /// MD5 of the password's UTF-8 bytes as 32 lowercase hex digits, exactly as `MD5(password).toString()` in crypto-js.
    static func md5Hex(_ password: String) -> String {
        Hex.encode(Digest.md5(Array(password.utf8)))
    }

    /// The canonical (lowercase) form of a client's MD5 hex, or nil unless it is exactly 32 hex digits.
    static func canonicalMD5(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 32, Hex.decode(text)?.count == 16 else { return nil }
        return text.lowercased()
    }
}
