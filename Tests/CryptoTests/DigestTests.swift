import OpenSSLCrypto
import Testing

@Suite struct DigestTests {
    static let message448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

    @Test func sha256FIPSVectors() {
        #expect(Hex.encode(Digest.sha256(bytes(""))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(Digest.sha256(bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(Digest.sha256(bytes(Self.message448))) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func md5RFC1321Vectors() {
        #expect(Hex.encode(Digest.md5(bytes(""))) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(Hex.encode(Digest.md5(bytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Hex.encode(Digest.md5(bytes("message digest"))) == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(Hex.encode(Digest.md5(bytes(Self.message448))) == "8215ef0796a20bcaaae116d3876c664a")
    }

    @Test func sha1FIPSVector() {
        #expect(Hex.encode(Digest.sha1(bytes("abc"))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func acceptsNonArrayCollections() {
        // String.UTF8View and ArraySlice take the contiguous path; a lazy map takes the copy path.
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(Hex.encode(Digest.sha256("abc".utf8)) == expected)
        #expect(Hex.encode(Digest.sha256(bytes("xabcx")[1..<4])) == expected)
        #expect(Hex.encode(Digest.sha256(bytes("abc").lazy.map { $0 })) == expected)
    }
}
