/// Secrets the test processes run with: random for every test run, so no test depends on a secret that ships anywhere.
public enum TestSecrets {
    /// The JWT secret every `Cluster` hands its processes (`SWITCHBOARD_JWT_SECRET`) and tests sign their tokens with.
    public static let jwt: String = {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in hexDigits(UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }()

    private static func hexDigits(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}
