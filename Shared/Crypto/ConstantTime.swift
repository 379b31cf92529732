import COpenSSL

/// Compares two byte strings (MACs, tokens, password hashes) in time that does not depend on where they differ,
/// using OpenSSL's `CRYPTO_memcmp`, so an attacker cannot learn a secret byte by byte from response timing.
///
/// Lengths are not treated as secret: different lengths return `false` at once, without looking at the content.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    return a.withUnsafeBytes { aBytes in
        b.withUnsafeBytes { bBytes in CRYPTO_memcmp(aBytes.baseAddress, bBytes.baseAddress, aBytes.count) == 0 }
    }
}
