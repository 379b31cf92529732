/// What a user name and a password must look like, checked before anything touches Redis or the KDF.
///
/// User names are restricted to a small ASCII set because they appear in Redis keys, event topics (`user/<name>`) and logs.
/// Passwords are bounded on both sides: too short is guessable, and an unbounded one makes every login attempt as
/// expensive as the attacker likes.
enum CredentialRules {
    static let userNameLengths = 3...32
    static let passwordLengths = 8...128
    /// A password's UTF-8 size cap (128 characters of up to 4 bytes each).
    static let passwordMaxBytes = 512

    /// nil when valid, else a message for the client.
    static func problem(userName name: String) -> String? {
        let bytes = Array(name.utf8)
        guard userNameLengths.contains(bytes.count), bytes.allSatisfy(isUserNameByte) else {
            return "username must be 3 to 32 characters of letters, digits, '_', '.' or '-'"
        }
        return nil
    }

    /// nil when valid, else a message for the client.
    static func problem(password: String, userName: String) -> String? {
        guard passwordLengths.contains(password.count), password.utf8.count <= passwordMaxBytes else {
            return "password must be 8 to 128 characters"
        }
        if password == userName {
            return "password must not be the user name"
        }
        if Set(password).count == 1 {
            return "password must not be one repeated character"
        }
        return nil
    }

    private static func isUserNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"): true
        default: false
        }
    }
}
