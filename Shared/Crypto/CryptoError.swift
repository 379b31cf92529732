import COpenSSL

/// Errors thrown by the OpenSSL-backed crypto module (`OpenSSLCrypto`).
///
/// It exists so callers can tell caller mistakes (bad key or IV length, bad input length, unreadable PEM)
/// apart from a failed decryption (wrong key or corrupt padding) and from an unexpected OpenSSL failure,
/// without ever seeing an OpenSSL type.
public enum CryptoError: Error, Equatable, Sendable {
    /// The key is not a length the algorithm accepts (AES: 16, 24 or 32 bytes).
    case invalidKeyLength(Int)
    /// The IV is not the length the mode needs (AES-CBC: 16 bytes).
    case invalidIVLength(Int)
    /// Decryption failed: wrong key or bad padding.
    case badDecrypt
    /// The input length is not usable: empty or not a multiple of the block size.
    case invalidInputLength
    /// OpenSSL reported an error; the text is from `ERR_error_string_n`.
    case openSSL(String)
    /// The PEM text could not be parsed as the expected kind of key.
    case invalidPEM
}

extension CryptoError {
    /// Builds `.openSSL` from the oldest error on this thread's OpenSSL error queue (or `fallback` when it is
    /// empty) and clears the queue so later calls start clean.
    static func fromErrorQueue(_ fallback: String) -> CryptoError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return .openSSL(fallback) }
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return .openSSL(String(decoding: bytes, as: UTF8.self))
    }
}
