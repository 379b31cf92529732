import OpenSSLCrypto
import Testing

@Suite struct HexTests {
    @Test func encode() {
        #expect(Hex.encode([]) == "")
        #expect(Hex.encode([0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]) == "00017f80abff")
        #expect(Hex.encode([0x00, 0x01, 0x7f, 0x80, 0xab, 0xff], uppercase: true) == "00017F80ABFF")
    }

    @Test func decode() {
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("00017f80abff") == [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff])
        #expect(Hex.decode("00017F80ABFF") == [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff])
        #expect(Hex.decode("aBcD") == [0xab, 0xcd])
    }

    @Test func decodeRejectsBadInput() {
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("0x00") == nil)
        #expect(Hex.decode("00 11") == nil)
        #expect(Hex.decode("é0") == nil)
    }

    @Test func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all)) == all)
        #expect(Hex.decode(Hex.encode(all, uppercase: true)) == all)
    }
}
