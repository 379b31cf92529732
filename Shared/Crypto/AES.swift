import COpenSSL

/// AES in ECB or CBC mode with optional PKCS#7 padding, through OpenSSL's `EVP_Cipher*` API.
///
/// It exists for interoperability with systems that already use these modes (notably MySQL's `AES_ENCRYPT`,
/// which is AES-128-ECB with a folded key). ECB and unauthenticated CBC are not a choice for new designs.
public enum AES {
    /// Block cipher mode; CBC carries its 16-byte IV.
    public enum Mode: Sendable {
        case ecb
        case cbc(iv: [UInt8])
    }

    /// Encrypts `plaintext`. The key length picks AES-128/192/256 (16/24/32 bytes).
    /// With `padding: false` the plaintext length must be a multiple of 16.
    public static func encrypt(_ plaintext: [UInt8], key: [UInt8], mode: Mode, padding: Bool = true) throws -> [UInt8] {
        if !padding && plaintext.count % blockSize != 0 { throw CryptoError.invalidInputLength }
        return try run(plaintext, key: key, mode: mode, padding: padding, encrypt: true)
    }

    /// Decrypts `ciphertext`. Throws `.invalidInputLength` for empty or non-block-multiple input and
    /// `.badDecrypt` when the padding does not check out (wrong key or corrupt data).
    public static func decrypt(_ ciphertext: [UInt8], key: [UInt8], mode: Mode, padding: Bool = true) throws -> [UInt8] {
        if ciphertext.isEmpty || ciphertext.count % blockSize != 0 { throw CryptoError.invalidInputLength }
        return try run(ciphertext, key: key, mode: mode, padding: padding, encrypt: false)
    }

    /// MySQL AES_ENCRYPT key fold: 16 zero bytes, XOR each key byte i into position i % 16 (cycling).
    /// For a 16-byte key this is the key itself.
    public static func mysqlFoldedKey(_ key: String) -> [UInt8] {
        var folded = [UInt8](repeating: 0, count: 16)
        for (index, byte) in key.utf8.enumerated() {
            folded[index % 16] ^= byte
        }
        return folded
    }

    private static let blockSize = 16

    private static func cipher(keyLength: Int, mode: Mode) throws -> OpaquePointer? {
        switch (keyLength, mode) {
        case (16, .ecb): return EVP_aes_128_ecb()
        case (24, .ecb): return EVP_aes_192_ecb()
        case (32, .ecb): return EVP_aes_256_ecb()
        case (16, .cbc): return EVP_aes_128_cbc()
        case (24, .cbc): return EVP_aes_192_cbc()
        case (32, .cbc): return EVP_aes_256_cbc()
        default: throw CryptoError.invalidKeyLength(keyLength)
        }
    }

    private static func run(_ input: [UInt8], key: [UInt8], mode: Mode, padding: Bool, encrypt: Bool) throws -> [UInt8] {
        let cipher = try cipher(keyLength: key.count, mode: mode)
        var iv: [UInt8]? = nil
        if case .cbc(let modeIV) = mode {
            guard modeIV.count == blockSize else { throw CryptoError.invalidIVLength(modeIV.count) }
            iv = modeIV
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.fromErrorQueue("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }

        let initialized = key.withUnsafeBufferPointer { keyBuffer in
            if let iv {
                return iv.withUnsafeBufferPointer {
                    EVP_CipherInit_ex(ctx, cipher, nil, keyBuffer.baseAddress, $0.baseAddress, encrypt ? 1 : 0)
                }
            }
            return EVP_CipherInit_ex(ctx, cipher, nil, keyBuffer.baseAddress, nil, encrypt ? 1 : 0)
        }
        guard initialized == 1 else { throw CryptoError.fromErrorQueue("EVP_CipherInit_ex") }
        guard EVP_CIPHER_CTX_set_padding(ctx, padding ? 1 : 0) == 1 else {
            throw CryptoError.fromErrorQueue("EVP_CIPHER_CTX_set_padding")
        }

        var output = [UInt8](repeating: 0, count: input.count + blockSize)
        var updateLength: Int32 = 0
        var finalLength: Int32 = 0
        let updated = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { EVP_CipherUpdate(ctx, out.baseAddress, &updateLength, $0.baseAddress, Int32($0.count)) }
        }
        guard updated == 1 else { throw CryptoError.fromErrorQueue("EVP_CipherUpdate") }
        let finished = output.withUnsafeMutableBufferPointer { out in
            EVP_CipherFinal_ex(ctx, out.baseAddress! + Int(updateLength), &finalLength)
        }
        guard finished == 1 else {
            if encrypt { throw CryptoError.fromErrorQueue("EVP_CipherFinal_ex") }
            // Decrypt-side final failure is the padding check: wrong key or corrupt data.
            ERR_clear_error()
            throw CryptoError.badDecrypt
        }
        return Array(output.prefix(Int(updateLength + finalLength)))
    }
}
