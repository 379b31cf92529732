import COpenSSL

/// RSA key for SHA1withRSA (PKCS#1 v1.5) — used by a signing-client simulator and tests.
///
/// It owns an OpenSSL `EVP_PKEY`, freed in `deinit`; no OpenSSL pointer leaves this type. Keys are exchanged as
/// PEM: PKCS#8 (`BEGIN PRIVATE KEY`) for the private key and SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) for
/// the public key.
///
/// `@unchecked Sendable` is safe because the `EVP_PKEY` is fully built in the initializer and never mutated
/// afterwards: every later use (PEM export, `EVP_DigestSign*` through a per-call `EVP_MD_CTX`) only reads it,
/// and OpenSSL 3 documents concurrent read-only use of one `EVP_PKEY` from several threads as thread-safe.
public final class RSAPrivateKey: @unchecked Sendable {
    private let pkey: OpaquePointer

    private init(owning pkey: OpaquePointer) {
        self.pkey = pkey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Generates a fresh RSA key with public exponent 65537.
    public static func generate(bits: Int = 2048) throws -> RSAPrivateKey {
        guard bits >= 512 && bits <= 16384 else { throw CryptoError.invalidKeyLength(bits) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw CryptoError.fromErrorQueue("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw CryptoError.fromErrorQueue("EVP_PKEY_keygen_init") }
        guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else {
            throw CryptoError.fromErrorQueue("EVP_PKEY_CTX_set_rsa_keygen_bits")
        }
        var pkey: OpaquePointer? = nil
        guard EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else { throw CryptoError.fromErrorQueue("EVP_PKEY_generate") }
        return RSAPrivateKey(owning: pkey)
    }

    /// Loads an unencrypted RSA private key from PEM (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    /// Throws `.invalidPEM` if the text is not such a key, including a passphrase-protected one.
    public init(pem: String) throws {
        // The passphrase callback supplies none: with a nil callback OpenSSL would prompt on the terminal for an
        // encrypted key and block the process; returning -1 makes the read fail instead.
        let loaded = withMemoryBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) }
        guard let loaded else {
            ERR_clear_error()
            throw CryptoError.invalidPEM
        }
        guard EVP_PKEY_is_a(loaded, "RSA") == 1 else {
            EVP_PKEY_free(loaded)
            throw CryptoError.invalidPEM
        }
        pkey = loaded
    }

    /// The private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public var pem: String {
        let text = writeToMemoryBIO { bio in PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil) }
        guard let text else { preconditionFailure("PEM_write_bio_PrivateKey failed: \(CryptoError.fromErrorQueue("PEM"))") }
        return text
    }

    /// The public half as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), loadable by `RSAPublicKey`.
    public var publicKeyPEM: String {
        let text = writeToMemoryBIO { bio in PEM_write_bio_PUBKEY(bio, pkey) }
        guard let text else { preconditionFailure("PEM_write_bio_PUBKEY failed: \(CryptoError.fromErrorQueue("PEM"))") }
        return text
    }

    /// SHA1withRSA: RSASSA-PKCS1-v1_5 signature over SHA-1 of `data`.
    public func signSHA1(_ data: [UInt8]) throws -> [UInt8] {
        try sign(data, EVP_sha1())
    }

    /// SHA256withRSA: RSASSA-PKCS1-v1_5 signature over SHA-256 of `data`.
    public func signSHA256(_ data: [UInt8]) throws -> [UInt8] {
        try sign(data, EVP_sha256())
    }

    private func sign(_ data: [UInt8], _ md: OpaquePointer?) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.fromErrorQueue("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        // RSA's default padding for EVP_DigestSign is PKCS#1 v1.5.
        guard EVP_DigestSignInit(ctx, nil, md, nil, pkey) == 1 else { throw CryptoError.fromErrorQueue("EVP_DigestSignInit") }
        var signature = [UInt8](repeating: 0, count: Int(EVP_PKEY_get_size(pkey)))
        var length = signature.count
        let ok = data.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { out in
                EVP_DigestSign(ctx, out.baseAddress, &length, input.baseAddress, input.count)
            }
        }
        guard ok == 1 else { throw CryptoError.fromErrorQueue("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }
}

/// RSA public key that verifies SHA1withRSA / SHA256withRSA (PKCS#1 v1.5) signatures, e.g. from signing clients.
///
/// It owns an OpenSSL `EVP_PKEY`, freed in `deinit`. `@unchecked Sendable` is safe for the same reason as
/// `RSAPrivateKey`: the key is immutable after `init`, each verification uses its own `EVP_MD_CTX`, and
/// OpenSSL 3 allows concurrent read-only use of one `EVP_PKEY`.
public final class RSAPublicKey: @unchecked Sendable {
    private let pkey: OpaquePointer

    /// Loads an RSA public key from SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    /// Throws `.invalidPEM` if the text is not such a key.
    public init(pem: String) throws {
        let loaded = withMemoryBIO(pem) { bio in PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in -1 }, nil) }
        guard let loaded else {
            ERR_clear_error()
            throw CryptoError.invalidPEM
        }
        guard EVP_PKEY_is_a(loaded, "RSA") == 1 else {
            EVP_PKEY_free(loaded)
            throw CryptoError.invalidPEM
        }
        pkey = loaded
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// True if `signature` is a valid SHA1withRSA (PKCS#1 v1.5) signature of `data`.
    public func verifySHA1(signature: [UInt8], data: [UInt8]) -> Bool {
        verify(signature: signature, data: data, EVP_sha1())
    }

    /// True if `signature` is a valid SHA256withRSA (PKCS#1 v1.5) signature of `data`.
    public func verifySHA256(signature: [UInt8], data: [UInt8]) -> Bool {
        verify(signature: signature, data: data, EVP_sha256())
    }

    private func verify(signature: [UInt8], data: [UInt8], _ md: OpaquePointer?) -> Bool {
        defer { ERR_clear_error() }  // a failed verification leaves entries on the thread's error queue
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, md, nil, pkey) == 1 else { return false }
        let result = signature.withUnsafeBufferPointer { sig in
            data.withUnsafeBufferPointer { input in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, input.baseAddress, input.count)
            }
        }
        return result == 1
    }
}

/// Runs `body` with a read-only memory BIO over the UTF-8 bytes of `text`; the BIO is freed afterwards.
private func withMemoryBIO<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
    let bytes = Array(text.utf8)
    guard bytes.count <= Int(Int32.max) else { return nil }
    return bytes.withUnsafeBytes { raw -> T? in
        guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

/// Runs `write` against a fresh memory BIO and returns what it wrote as text, or `nil` if `write` did not return 1.
private func writeToMemoryBIO(_ write: (OpaquePointer) -> Int32) -> String? {
    guard let bio = BIO_new(BIO_s_mem()) else { return nil }
    defer { BIO_free(bio) }
    guard write(bio) == 1 else { return nil }
    var output = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
        guard count > 0 else { break }
        output.append(contentsOf: chunk.prefix(Int(count)))
    }
    return String(decoding: output, as: UTF8.self)
}
