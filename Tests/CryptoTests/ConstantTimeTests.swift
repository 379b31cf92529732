import OpenSSLCrypto
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalAndUnequal() {
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([0, 2, 3], [1, 2, 3]))
        let mac = HMAC.sha256(key: bytes("k"), message: bytes("m"))
        var tampered = mac
        tampered[31] ^= 0x01
        #expect(constantTimeEquals(mac, HMAC.sha256(key: bytes("k"), message: bytes("m"))))
        #expect(!constantTimeEquals(mac, tampered))
    }

    @Test func lengthMismatchIsFalse() {
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([], [0]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
    }
}
