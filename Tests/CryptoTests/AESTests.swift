import OpenSSLCrypto
import Testing

@Suite struct AESTests {
    // NIST SP 800-38A, appendix F: the four-block plaintext shared by all examples.
    static let nistPlaintext = hex(
        """
        6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
        30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710
        """)
    static let nistKey128 = hex("2b7e151628aed2a6abf7158809cf4f3c")
    static let nistKey256 = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")

    @Test func ecbAES128NISTF11() throws {
        let expected = hex(
            """
            3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf
            43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4
            """)
        let ciphertext = try AES.encrypt(Self.nistPlaintext, key: Self.nistKey128, mode: .ecb, padding: false)
        #expect(ciphertext == expected)
        #expect(try AES.decrypt(expected, key: Self.nistKey128, mode: .ecb, padding: false) == Self.nistPlaintext)
    }

    @Test func cbcAES128NISTF21() throws {
        let iv = hex("000102030405060708090a0b0c0d0e0f")
        let expected = hex(
            """
            7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
            73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7
            """)
        let ciphertext = try AES.encrypt(Self.nistPlaintext, key: Self.nistKey128, mode: .cbc(iv: iv), padding: false)
        #expect(ciphertext == expected)
        #expect(try AES.decrypt(expected, key: Self.nistKey128, mode: .cbc(iv: iv), padding: false) == Self.nistPlaintext)
    }

    @Test func ecbAES256NISTF15() throws {
        let expected = hex(
            """
            f3eed1bdb5d2a03c064b5a7e3db181f8 591ccb10d410ed26dc5ba74a31362870
            b6ed21b99ca6f4f9f153e7b1beafed1d 23304b7a39f9f3ff067d8d8f9e24ecc7
            """)
        let ciphertext = try AES.encrypt(Self.nistPlaintext, key: Self.nistKey256, mode: .ecb, padding: false)
        #expect(ciphertext == expected)
        #expect(try AES.decrypt(expected, key: Self.nistKey256, mode: .ecb, padding: false) == Self.nistPlaintext)
    }

    @Test func mysqlStyleECBKnownAnswer() throws {
        // Expected value computed independently with:
        //   printf '%s' '{"str":"abc","pwdstr":"123"}' | openssl enc -aes-128-ecb -K 31323334353637383837363534333231 -nosalt | xxd -p
        let key = AES.mysqlFoldedKey("1234567887654321")
        let plaintext = bytes(#"{"str":"abc","pwdstr":"123"}"#)
        let ciphertext = try AES.encrypt(plaintext, key: key, mode: .ecb)
        #expect(Hex.encode(ciphertext, uppercase: true) == "A734E6D1E8606E89E66675B3D85C6614E2C91160E155AFFED66EED97B9A53835")
        #expect(try AES.decrypt(ciphertext, key: key, mode: .ecb) == plaintext)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 31, 32, 100])
    func pkcs7RoundTrip(length: Int) throws {
        let plaintext = SecureRandom.bytes(length)
        for keyLength in [16, 24, 32] {
            let key = SecureRandom.bytes(keyLength)
            let iv = SecureRandom.bytes(16)
            for mode in [AES.Mode.ecb, .cbc(iv: iv)] {
                let ciphertext = try AES.encrypt(plaintext, key: key, mode: mode)
                #expect(ciphertext.count == (length / 16 + 1) * 16)
                #expect(try AES.decrypt(ciphertext, key: key, mode: mode) == plaintext)
            }
        }
    }

    @Test func pkcs7PaddingBytesAreStandard() throws {
        // With padding off, decrypting a padded ciphertext shows the raw PKCS#7 tail.
        let key = hex("000102030405060708090a0b0c0d0e0f")
        let ciphertext = try AES.encrypt(bytes("abc"), key: key, mode: .ecb)
        let raw = try AES.decrypt(ciphertext, key: key, mode: .ecb, padding: false)
        #expect(raw == bytes("abc") + repeated(13, 13))
    }

    @Test func wrongKeyThrowsBadDecryptECB() {
        let ciphertext = hex("A734E6D1E8606E89E66675B3D85C6614E2C91160E155AFFED66EED97B9A53835")
        // Each of these keys was checked with `openssl enc -d -aes-128-ecb -K <key>` to fail the padding check
        // ("bad decrypt"); a random wrong key would yield valid padding about once in 256 tries.
        let wrongKeys = [
            "00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff", "31323334353637383837363534333230",
            "000102030405060708090a0b0c0d0e0f", "2b7e151628aed2a6abf7158809cf4f3c",
        ]
        for wrongKey in wrongKeys {
            #expect(throws: CryptoError.badDecrypt) { try AES.decrypt(ciphertext, key: hex(wrongKey), mode: .ecb) }
        }
    }

    @Test func wrongKeyThrowsBadDecryptCBC() throws {
        // `printf 'Switchboard CBC padding check' | openssl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f
        //  -iv 0f0e0d0c0b0a09080706050403020100 | xxd -p`; the wrong keys were checked with `openssl enc -d`.
        let iv = hex("0f0e0d0c0b0a09080706050403020100")
        let ciphertext = hex("4d27590f491cc0894775677d892f9b4c7755653807a2d2cd48ec6219e82b6a1e")
        let rightKey = hex("000102030405060708090a0b0c0d0e0f")
        #expect(try AES.decrypt(ciphertext, key: rightKey, mode: .cbc(iv: iv)) == bytes("Switchboard CBC padding check"))
        for wrongKey in ["00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff", "000102030405060708090a0b0c0d0e0e"] {
            #expect(throws: CryptoError.badDecrypt) { try AES.decrypt(ciphertext, key: hex(wrongKey), mode: .cbc(iv: iv)) }
        }
    }

    @Test func badLengthsThrow() {
        let key = repeated(1, 16)
        for badKeyLength in [0, 8, 15, 17, 33] {
            #expect(throws: CryptoError.invalidKeyLength(badKeyLength)) {
                try AES.encrypt(bytes("x"), key: repeated(1, badKeyLength), mode: .ecb)
            }
            #expect(throws: CryptoError.invalidKeyLength(badKeyLength)) {
                try AES.decrypt(repeated(0, 16), key: repeated(1, badKeyLength), mode: .ecb)
            }
        }
        for badIVLength in [0, 8, 15, 17] {
            #expect(throws: CryptoError.invalidIVLength(badIVLength)) {
                try AES.encrypt(bytes("x"), key: key, mode: .cbc(iv: repeated(0, badIVLength)))
            }
        }
        #expect(throws: CryptoError.invalidInputLength) { try AES.decrypt([], key: key, mode: .ecb) }
        #expect(throws: CryptoError.invalidInputLength) { try AES.decrypt(repeated(0, 15), key: key, mode: .ecb) }
        #expect(throws: CryptoError.invalidInputLength) { try AES.decrypt(repeated(0, 33), key: key, mode: .cbc(iv: repeated(0, 16))) }
        #expect(throws: CryptoError.invalidInputLength) { try AES.encrypt(repeated(0, 17), key: key, mode: .ecb, padding: false) }
    }

    @Test func mysqlFoldedKey() {
        // A 16-byte key folds to itself.
        #expect(AES.mysqlFoldedKey("1234567887654321") == bytes("1234567887654321"))
        // 20 chars: bytes 16...19 ("qrst") are XORed into positions 0...3 ("abcd"); 'q' ^ 'a' = 0x71 ^ 0x61 = 0x10, etc.
        #expect(AES.mysqlFoldedKey("abcdefghijklmnopqrst") == [0x10, 0x10, 0x10, 0x10] + bytes("efghijklmnop"))
        // A short key is zero-padded.
        #expect(AES.mysqlFoldedKey("abc") == bytes("abc") + repeated(0, 13))
        // 33 chars cycle twice: position 0 gets '1' ^ '1' ^ 'X' = 'X'.
        let folded = AES.mysqlFoldedKey("1234567887654321" + "1234567887654321" + "X")
        #expect(folded == [UInt8(ascii: "X")] + repeated(0, 15))
    }
}
