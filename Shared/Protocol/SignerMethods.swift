/// The body of `POST /api/sign`: the signer's operations for trusted callers (role `operator`) as plain JSON, without
/// the AES wrapper of `/getCode`.
///
/// `{"op":"sign","data":"…","password":"…"}` signs `data` with the e-port client; `{"op":"cert_no"}` asks for the
/// certificate number.
public struct SignOperationRequest: Codable, Sendable, Equatable {
    public var op: String
    public var data: String?
    public var password: String?

    public init(op: String, data: String? = nil, password: String? = nil) {
        self.op = op
        self.data = data
        self.password = password
    }
}

/// The answer of `POST /api/sign`: `{"signature","cert_no"}` for `sign`, `{"cert_no"}` for `cert_no`.
public struct SignOperationResult: Codable, Sendable, Equatable {
    /// Base64 SHA1withRSA signature, without PEM armour, exactly as the e-port client returned it.
    public var signature: String?
    public var certNo: String

    public init(signature: String? = nil, certNo: String) {
        self.signature = signature
        self.certNo = certNo
    }

    enum CodingKeys: String, CodingKey {
        case signature
        case certNo = "cert_no"
    }
}
