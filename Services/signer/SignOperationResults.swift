/// The `/api/sign` answers of the SDK's two read-only calls; `sign` and `cert_no` answer `SignOperationResult`.
///
/// `cus-sec_SpcSHA1DigestAsPEM` → `{"digest"}`: base64 of the card's SHA-1 over `szInfo`'s UTF-8 bytes.
struct SignDigestResult: Encodable, Sendable {
    var digest: String
}

/// `cus-sec_SpcGetSignCertAsPEM` → `{"certificate","pem"}`: the signing certificate as the card gives it (base64 DER
/// on one line) and as a PEM block with 64-character lines, which is what the Java client builds from it
/// (`CertificateHandler.buildX509CertificateWithHeader`) before parsing it as X.509.
struct SignCertificateResult: Encodable, Sendable {
    var certificate: String
    var pem: String

    init(base64: String) {
        certificate = base64
        var lines: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        pem = "-----BEGIN CERTIFICATE-----\n" + lines.joined(separator: "\n") + "\n-----END CERTIFICATE-----\n"
    }
}
