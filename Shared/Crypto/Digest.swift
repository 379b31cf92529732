import COpenSSL

/// One-shot message digests (SHA-256, SHA-1, MD5) through OpenSSL's `EVP_Digest`.
///
/// It exists so services hash bytes without touching OpenSSL pointers; MD5 and SHA-1 are here only for
/// interoperability with legacy protocols, never for new security designs.
public enum Digest {
    /// SHA-256 of `data` (32 bytes).
    public static func sha256<D: Collection<UInt8>>(_ data: D) -> [UInt8] {
        digest(data, EVP_sha256())
    }

    /// SHA-1 of `data` (20 bytes). Legacy interoperability only.
    public static func sha1<D: Collection<UInt8>>(_ data: D) -> [UInt8] {
        digest(data, EVP_sha1())
    }

    /// MD5 of `data` (16 bytes). Legacy interoperability only.
    public static func md5<D: Collection<UInt8>>(_ data: D) -> [UInt8] {
        digest(data, EVP_md5())
    }

    private static func digest<D: Collection<UInt8>>(_ data: D, _ md: OpaquePointer?) -> [UInt8] {
        if let result = data.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0), md) }) {
            return result
        }
        return Array(data).withUnsafeBytes { digest($0, md) }
    }

    private static func digest(_ input: UnsafeRawBufferPointer, _ md: OpaquePointer?) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // A nil base address (empty input) is fine for EVP_Digest when the count is 0.
        let ok = output.withUnsafeMutableBufferPointer { out in
            EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, md, nil)
        }
        precondition(ok == 1, "EVP_Digest failed: \(CryptoError.fromErrorQueue("EVP_Digest"))")
        return Array(output.prefix(Int(length)))
    }
}
