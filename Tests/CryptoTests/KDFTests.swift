import OpenSSLCrypto
import Testing

@Suite struct KDFTests {
    // RFC 6070 PBKDF2-HMAC-SHA1 vectors (the 16,777,216-iteration one is skipped for time).
    @Test func rfc6070Iterations1() {
        let key = KDF.pbkdf2(password: bytes("password"), salt: bytes("salt"), iterations: 1, keyLength: 20, hash: .sha1)
        #expect(Hex.encode(key) == "0c60c80f961f0e71f3a9b524af6012062fe037a6")
    }

    @Test func rfc6070Iterations2() {
        let key = KDF.pbkdf2(password: bytes("password"), salt: bytes("salt"), iterations: 2, keyLength: 20, hash: .sha1)
        #expect(Hex.encode(key) == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
    }

    @Test func rfc6070Iterations4096() {
        let key = KDF.pbkdf2(password: bytes("password"), salt: bytes("salt"), iterations: 4096, keyLength: 20, hash: .sha1)
        #expect(Hex.encode(key) == "4b007901b765489abead49d926f721d065a429c1")
    }

    @Test func rfc6070LongInputs() {
        let key = KDF.pbkdf2(
            password: bytes("passwordPASSWORDpassword"), salt: bytes("saltSALTsaltSALTsaltSALTsaltSALTsalt"),
            iterations: 4096, keyLength: 25, hash: .sha1)
        #expect(Hex.encode(key) == "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")
    }

    @Test func rfc6070EmbeddedNUL() {
        let key = KDF.pbkdf2(password: bytes("pass\0word"), salt: bytes("sa\0lt"), iterations: 4096, keyLength: 16, hash: .sha1)
        #expect(Hex.encode(key) == "56fa6aa75548099dcc37d7f03425e0c3")
    }

    @Test func rfc7914SHA256() {
        // RFC 7914 section 11; also the default hash.
        let key = KDF.pbkdf2(password: bytes("passwd"), salt: bytes("salt"), iterations: 1, keyLength: 64)
        let expected =
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        #expect(Hex.encode(key) == expected)
    }
}
