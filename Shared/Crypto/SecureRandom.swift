import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
///
/// It exists so keys, IVs, salts and tokens come from one vetted source rather than a general-purpose PRNG.
public enum SecureRandom {
    /// `count` random bytes. Traps if OpenSSL cannot produce them (an unseeded DRBG is not recoverable here).
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "SecureRandom.bytes count out of range: \(count)")
        guard count > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: count)
        let ok = output.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        precondition(ok == 1, "RAND_bytes failed: \(CryptoError.fromErrorQueue("RAND_bytes"))")
        return output
    }
}
