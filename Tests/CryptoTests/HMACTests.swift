import OpenSSLCrypto
import Testing

/// RFC 4231 HMAC-SHA256 test cases (case 5 is a truncated-output case and is not applicable).
@Suite struct HMACTests {
    @Test func rfc4231Case1() {
        let mac = HMAC.sha256(key: repeated(0x0b, 20), message: bytes("Hi There"))
        #expect(Hex.encode(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func rfc4231Case2() {
        let mac = HMAC.sha256(key: bytes("Jefe"), message: bytes("what do ya want for nothing?"))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231Case3() {
        let mac = HMAC.sha256(key: repeated(0xaa, 20), message: repeated(0xdd, 50))
        #expect(Hex.encode(mac) == "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
    }

    @Test func rfc4231Case4() {
        let mac = HMAC.sha256(key: hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), message: repeated(0xcd, 50))
        #expect(Hex.encode(mac) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")
    }

    @Test func rfc4231Case6() {
        let mac = HMAC.sha256(key: repeated(0xaa, 131), message: bytes("Test Using Larger Than Block-Size Key - Hash Key First"))
        #expect(Hex.encode(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func rfc4231Case7() {
        let message =
            "This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm."
        let mac = HMAC.sha256(key: repeated(0xaa, 131), message: bytes(message))
        #expect(Hex.encode(mac) == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    @Test func emptyKeyAndMessage() {
        // Cross-checked with `openssl mac -digest SHA256 -macopt hexkey: HMAC` on empty input.
        #expect(Hex.encode(HMAC.sha256(key: [], message: [])) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
