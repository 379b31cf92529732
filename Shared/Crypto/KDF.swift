import COpenSSL

/// Password-based key derivation (PBKDF2-HMAC) through OpenSSL's `PKCS5_PBKDF2_HMAC`.
///
/// It exists to turn passwords into keys or stored verifiers with a tunable work factor.
public enum KDF {
    /// The HMAC hash PBKDF2 runs on.
    public enum Hash: Sendable {
        case sha1, sha256
    }

    /// PBKDF2 (RFC 8018) of `password` and `salt`, `iterations` rounds, `keyLength` output bytes.
    /// `iterations` and `keyLength` must be at least 1.
    public static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int, hash: Hash = .sha256) -> [UInt8] {
        precondition(iterations >= 1 && iterations <= Int(Int32.max), "PBKDF2 iterations out of range: \(iterations)")
        precondition(keyLength >= 1 && keyLength <= Int(Int32.max), "PBKDF2 key length out of range: \(keyLength)")
        precondition(password.count <= Int(Int32.max) && salt.count <= Int(Int32.max), "PBKDF2 input too large")
        let md: OpaquePointer?
        switch hash {
        case .sha1: md = EVP_sha1()
        case .sha256: md = EVP_sha256()
        }
        var output = [UInt8](repeating: 0, count: keyLength)
        // Spare trailing bytes keep both pointers non-nil for empty inputs; the lengths passed exclude them.
        let passwordStorage = password + [0]
        let saltStorage = salt + [0]
        let ok = passwordStorage.withUnsafeBytes { passwordBytes in
            saltStorage.withUnsafeBufferPointer { saltBuffer in
                output.withUnsafeMutableBufferPointer { out in
                    PKCS5_PBKDF2_HMAC(
                        passwordBytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(password.count),
                        saltBuffer.baseAddress, Int32(salt.count), Int32(iterations), md, Int32(keyLength), out.baseAddress
                    )
                }
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed: \(CryptoError.fromErrorQueue("PKCS5_PBKDF2_HMAC"))")
        return output
    }
}
