import COpenSSL
import Foundation

/// The simulated card's signing certificate: a self-signed X.509 over the sim's own RSA key, so what
/// `cus-sec_SpcGetSignCertAsPEM` returns verifies the signatures `cus-sec_SpcSignDataAsPEM` makes.
///
/// Signed SHA1withRSA like the card's signatures (the Java client infers the XML signature algorithm from the
/// certificate's). Made at every start from `key.pem` and written to `cert.pem` beside it; the reply carries the DER as
/// one base64 line, without PEM armour, as the card does.
enum SimCertificate {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Base64 of the DER certificate for the private key in `keyPEM`, with `certNo` as its subject's serial number.
    static func make(keyPEM: String, certNo: String) throws -> String {
        guard let key = privateKey(keyPEM) else { throw Failure(description: "key.pem is not a private key") }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw Failure(description: "X509_new failed") }
        defer { X509_free(certificate) }
        let serial = UInt64.random(in: 1..<(1 << 62))
        let name = X509_NAME_new()
        defer { X509_NAME_free(name) }
        for (field, value) in [("C", "CN"), ("O", "Switchboard signer-sim"), ("CN", "signer-sim e-port card"), ("serialNumber", certNo)] {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, value, -1, -1, 0) == 1 else {
                throw Failure(description: "subject \(field)=\(value) refused")
            }
        }
        let serialNumber = ASN1_INTEGER_new()
        defer { ASN1_INTEGER_free(serialNumber) }
        guard X509_set_version(certificate, 2) == 1, ASN1_INTEGER_set_uint64(serialNumber, serial) == 1,
            X509_set_serialNumber(certificate, serialNumber) == 1,
            X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), 10 * 365 * 24 * 3600) != nil,
            X509_set_subject_name(certificate, name) == 1, X509_set_issuer_name(certificate, name) == 1,
            X509_set_pubkey(certificate, key) == 1, X509_sign(certificate, key, EVP_sha1()) > 0
        else { throw Failure(description: "building the certificate failed") }
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(certificate, &der)
        guard length > 0, let der else { throw Failure(description: "i2d_X509 failed") }
        defer { CRYPTO_free(der, nil, 0) }
        return Data(bytes: der, count: Int(length)).base64EncodedString()
    }

    /// `-----BEGIN CERTIFICATE-----`, 64-character lines, `-----END CERTIFICATE-----`.
    static func pem(_ base64: String) -> String {
        var lines: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN CERTIFICATE-----\n" + lines.joined(separator: "\n") + "\n-----END CERTIFICATE-----\n"
    }

    private static func privateKey(_ pem: String) -> OpaquePointer? {
        let bytes = Array(pem.utf8)
        return bytes.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(clamping: buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
    }
}
