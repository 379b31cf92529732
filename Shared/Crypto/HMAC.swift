import COpenSSL

/// HMAC-SHA256 through OpenSSL 3's `EVP_MAC` interface.
///
/// It exists because the low-level `HMAC_CTX` API is deprecated in OpenSSL 3; this wraps the
/// provider-based replacement behind a byte-array call.
public enum HMAC {
    /// HMAC-SHA256 of `message` under `key` (32 bytes). Any key length is accepted, including empty.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            preconditionFailure("EVP_MAC_fetch(HMAC) failed: \(CryptoError.fromErrorQueue("EVP_MAC_fetch"))")
        }
        defer { EVP_MAC_free(mac) }
        guard let ctx = EVP_MAC_CTX_new(mac) else {
            preconditionFailure("EVP_MAC_CTX_new failed: \(CryptoError.fromErrorQueue("EVP_MAC_CTX_new"))")
        }
        defer { EVP_MAC_CTX_free(ctx) }

        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength = 0
        // One spare byte keeps the key pointer non-nil for an empty key: a NULL key means "keep the old key".
        let keyStorage = key + [0]
        let ok: Bool = "SHA256".withCString { digestName in
            var params = [
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, UnsafeMutablePointer(mutating: digestName), 0),
                OSSL_PARAM_construct_end(),
            ]
            let initialized = keyStorage.withUnsafeBufferPointer { keyBuffer in
                params.withUnsafeMutableBufferPointer { EVP_MAC_init(ctx, keyBuffer.baseAddress, key.count, $0.baseAddress) }
            }
            guard initialized == 1 else { return false }
            let updated = message.withUnsafeBufferPointer { EVP_MAC_update(ctx, $0.baseAddress, $0.count) }
            guard updated == 1 else { return false }
            return output.withUnsafeMutableBufferPointer { EVP_MAC_final(ctx, $0.baseAddress, &outLength, $0.count) } == 1
        }
        precondition(ok, "HMAC-SHA256 failed: \(CryptoError.fromErrorQueue("EVP_MAC"))")
        return Array(output.prefix(outLength))
    }
}
