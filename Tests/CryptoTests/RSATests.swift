import OpenSSLCrypto
import Testing

@Suite struct RSATests {
    // One 2048-bit key for the whole suite: generation takes a noticeable fraction of a second.
    static let key: RSAPrivateKey = {
        do { return try RSAPrivateKey.generate(bits: 2048) } catch { fatalError("RSA key generation failed: \(error)") }
    }()

    static let message = bytes("amount=100&currency=EUR&nonce=42")

    @Test func pemFormats() {
        let pem = Self.key.pem
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let publicPEM = Self.key.publicKeyPEM
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(publicPEM.hasSuffix("-----END PUBLIC KEY-----\n"))
    }

    @Test func signSHA1VerifiesWithPublicKey() throws {
        let signature = try Self.key.signSHA1(Self.message)
        #expect(signature.count == 256)
        let publicKey = try RSAPublicKey(pem: Self.key.publicKeyPEM)
        #expect(publicKey.verifySHA1(signature: signature, data: Self.message))
        // PKCS#1 v1.5 is deterministic: the same input signs to the same bytes.
        #expect(try Self.key.signSHA1(Self.message) == signature)
        // The hash is part of the signature: it does not verify as SHA-256.
        #expect(!publicKey.verifySHA256(signature: signature, data: Self.message))
    }

    @Test func signSHA256VerifiesWithPublicKey() throws {
        let signature = try Self.key.signSHA256(Self.message)
        let publicKey = try RSAPublicKey(pem: Self.key.publicKeyPEM)
        #expect(publicKey.verifySHA256(signature: signature, data: Self.message))
        #expect(!publicKey.verifySHA1(signature: signature, data: Self.message))
    }

    @Test func tamperingFailsVerification() throws {
        let signature = try Self.key.signSHA1(Self.message)
        let publicKey = try RSAPublicKey(pem: Self.key.publicKeyPEM)
        var tamperedMessage = Self.message
        tamperedMessage[0] ^= 0x01
        #expect(!publicKey.verifySHA1(signature: signature, data: tamperedMessage))
        var tamperedSignature = signature
        tamperedSignature[100] ^= 0x01
        #expect(!publicKey.verifySHA1(signature: tamperedSignature, data: Self.message))
        #expect(!publicKey.verifySHA1(signature: [], data: Self.message))
        #expect(!publicKey.verifySHA1(signature: Array(signature.dropLast()), data: Self.message))
    }

    @Test func otherKeyFailsVerification() throws {
        let other = try RSAPrivateKey.generate(bits: 1024)
        let signature = try other.signSHA1(Self.message)
        let publicKey = try RSAPublicKey(pem: Self.key.publicKeyPEM)
        #expect(!publicKey.verifySHA1(signature: signature, data: Self.message))
    }

    @Test func pemRoundTrip() throws {
        let reloaded = try RSAPrivateKey(pem: Self.key.pem)
        #expect(reloaded.pem == Self.key.pem)
        #expect(reloaded.publicKeyPEM == Self.key.publicKeyPEM)
        let signature = try reloaded.signSHA1(Self.message)
        #expect(signature == (try Self.key.signSHA1(Self.message)))
        #expect(try RSAPublicKey(pem: Self.key.publicKeyPEM).verifySHA1(signature: signature, data: Self.message))
    }

    @Test func invalidPEMThrows() {
        #expect(throws: CryptoError.invalidPEM) { try RSAPrivateKey(pem: "") }
        #expect(throws: CryptoError.invalidPEM) { try RSAPrivateKey(pem: "not a key") }
        #expect(throws: CryptoError.invalidPEM) { try RSAPrivateKey(pem: Self.key.publicKeyPEM) }
        #expect(throws: CryptoError.invalidPEM) { try RSAPublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
        #expect(throws: CryptoError.invalidPEM) { try RSAPublicKey(pem: "") }
    }

    @Test func concurrentSigningAndVerification() async throws {
        let key = Self.key
        let publicKey = try RSAPublicKey(pem: key.publicKeyPEM)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let data = bytes("message \(index)")
                    let signature = try key.signSHA1(data)
                    return publicKey.verifySHA1(signature: signature, data: data)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}

/// Known answers from a fixed 512-bit key (too small for real use; it keeps the fixture short).
/// Expected signatures were made with `printf 'Switchboard known answer' | openssl dgst -sha1 -sign key.pem | xxd -p`
/// (and `-sha256`); PKCS#1 v1.5 signing is deterministic, so the module must produce the same bytes.
@Suite struct RSAFixtureTests {
    static let pkcs1PEM = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIBOgIBAAJBAMQheljwjUAh5oiIMBDoOv78nApVPjzgjtcY9TgwaQVPB0Vy62o9
        T6FdTkkKxCYgeOvHOmBOkIvZ8HZxx1H3MCsCAwEAAQJAGbvmyLqvXeXU0L9Fx0Ih
        U4mjk7uBkg1I0LJGopu/e+GacQAuzSJRJx4nKseidxUDwfIJI78pYDOOv9Nv9jmy
        4QIhAPzDNSA8lgJmoiKfzwhaSj4gXMGZMlSvMjtj+EN9/DC7AiEAxqSUE10D+E9S
        0KdGPEQgdAuUDyg2ySxxb7lsoWaNf1ECICrKhXjyqNa5N2OzOGKKnp0L74ga/mlV
        y6RAVWxfrM03AiAxRNrRXq3AZfRVelfKVN9zyPdlNwU3qoVMP8J42dXYsQIhAOAd
        wac7PJLKVkyUxqVunp3CkZCtl7D/gJc9JLCca2+v
        -----END RSA PRIVATE KEY-----

        """

    static let publicPEM = """
        -----BEGIN PUBLIC KEY-----
        MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMQheljwjUAh5oiIMBDoOv78nApVPjzg
        jtcY9TgwaQVPB0Vy62o9T6FdTkkKxCYgeOvHOmBOkIvZ8HZxx1H3MCsCAwEAAQ==
        -----END PUBLIC KEY-----

        """

    /// The same key as PKCS#8 encrypted with passphrase "secret".
    static let encryptedPEM = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIe5VNEfLHc+gCAggA
        MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAECBBAtVXipTrGTn7hv21VmeVhUBIIB
        YFST4Vwi/HWGFFgaSy2f06769xT2ZrdXsYyvG52XJpXHDWmUQvkE4D7AQS428f4u
        PBZDz8YBM9PZbGQUA+Xj3b4k5cw1l2JEohkvTLpIOXzkFgPbwx6Mc6jeZxIgNLcR
        yqdO1cCZvQBT1Ja7oHArRqSjiRanBnkPL/qv1Xql3NIsNzc+NVBqtqiNx4KW/hNm
        YtCpoYPGvZRCwp43pojIQHCT+cijVgC3WBNajFcob+vEXbVbQgIXk0YOscOYX1NF
        P+zo1qsPfCK+IEtsBybbPbyGsOU1YHUKY5gABw5nNzqm15tiG0enSafxSEICYiBo
        bDvPMBHNndbbQHbEEJBMr+BfmxDlDMdwrpiv4jwcYA1kGhZsTBTfX6gJvphbL4tL
        O+zgcp1uG2iS/UNbZ7TXSCXhqj79q62UADbMfey5uL19xtpYGkyhpqF2HnzBpqNU
        /2boIOmGvHjrXbNksvxaH6M=
        -----END ENCRYPTED PRIVATE KEY-----

        """

    static let ecPrivatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2qyrQme/blT4EL1y
        AeDzVGMBFImpO8evch5C6vuI+VahRANCAATtVpg4Oh/jPKLYpDim6uUlMbwWz8W0
        KTuhsDK2GDSats/vekuk67aSPbGbjJctrLGEWspHCY49MtoEohTSGmm+
        -----END PRIVATE KEY-----

        """

    static let ecPublicPEM = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7VaYODof4zyi2KQ4purlJTG8Fs/F
        tCk7obAythg0mrbP73pLpOu2kj2xm4yXLayxhFrKRwmOPTLaBKIU0hppvg==
        -----END PUBLIC KEY-----

        """

    static let message = bytes("Switchboard known answer")
    static let sha1Signature = hex(
        """
        39f39e7bda719374690dff0232107a3c3b3b2ba2e09cb937cd0d307946edb48e
        bb97f4a47a61a708093acb516c82d223a9c8c414927149792436688b33aba6c5
        """)
    static let sha256Signature = hex(
        """
        9e03e0d74ecdb9021e3269f0656f24e362178c4c14fe55c9261588ce4e8972cc
        abda3312efdfa1ddf47cdea88343ec7831e59b84b885893f43e117ff94c488e9
        """)

    @Test func pkcs1KeySignsKnownAnswers() throws {
        let key = try RSAPrivateKey(pem: Self.pkcs1PEM)
        #expect(try key.signSHA1(Self.message) == Self.sha1Signature)
        #expect(try key.signSHA256(Self.message) == Self.sha256Signature)
        #expect(key.publicKeyPEM == Self.publicPEM)
        #expect(key.pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
    }

    @Test func publicKeyVerifiesKnownAnswers() throws {
        let publicKey = try RSAPublicKey(pem: Self.publicPEM)
        #expect(publicKey.verifySHA1(signature: Self.sha1Signature, data: Self.message))
        #expect(publicKey.verifySHA256(signature: Self.sha256Signature, data: Self.message))
        #expect(!publicKey.verifySHA1(signature: Self.sha1Signature, data: bytes("Switchboard known answer!")))
    }

    @Test func rejectsEncryptedAndNonRSAKeys() {
        // Must fail without prompting for a passphrase on the terminal.
        #expect(throws: CryptoError.invalidPEM) { try RSAPrivateKey(pem: Self.encryptedPEM) }
        #expect(throws: CryptoError.invalidPEM) { try RSAPrivateKey(pem: Self.ecPrivatePEM) }
        #expect(throws: CryptoError.invalidPEM) { try RSAPublicKey(pem: Self.ecPublicPEM) }
    }
}
