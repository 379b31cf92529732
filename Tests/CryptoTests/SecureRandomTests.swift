import OpenSSLCrypto
import Testing

@Suite struct SecureRandomTests {
    @Test func returnsRequestedLength() {
        for count in [0, 1, 16, 32, 1000] {
            #expect(SecureRandom.bytes(count).count == count)
        }
    }

    @Test func callsDiffer() {
        // 2^-256 chance of a false failure.
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }
}
