import Testing

@testable import Signer

/// `EPortBlocks` against the official e-port SDK itself: every expected value below was printed by the SDK's own
/// functions (`splitStrData`, `DIGEST.CheckCode`, `getDataHeader` from `client.js` of Weasley-J/chinaport-data-signature,
/// run under node), not computed by this code.
@Suite("EPortBlocks: the SDK's BLOCKTXT transfer")
struct EPortBlocksTests {
    static let guid = "0a1b2c3d-1111-2222-3333-444455556666"

    @Test func checkCodesMatchTheSDK() {
        let golden: [(String, String)] = [
            ("", "FFFF"), ("a", "7EA8"), ("123456789", "374B"),
            (#"{"_id":1,"_method":"cus-sec_SpcSignDataAsPEM"}"#, "9485"), ("报关单 é ü", "2AB0"), ("😀x", "E02E"),
        ]
        for (text, code) in golden { #expect(EPortBlocks.checkCode(text) == code, "\(text)") }
    }

    @Test func headerMatchesTheSDK() {
        let header = EPortBlocks.header(
            checkCode: "98AC", blockCheckCode: "0F1E", totalLength: 14571, blockLength: 120, blockCount: 3, guid: Self.guid, blockNumber: 2)
        #expect(
            header
                == "BLOCKTXT98AC0F1E00000000000145710000012000030a1b2c3d-1111-2222-3333-444455556666000200000000000000000000000000000000000000000000")
        #expect(header.count == 128)
    }

    /// A 300 000-character ASCII `inData` and a CJK one, as `sendFrames` would send their sign requests.
    @Test(arguments: [
        (
            "ascii", String(repeating: "x", count: 300_000), 300_087, [122_878, 122_878, 54_331],
            [
                "BLOCKTXT1E4AF84400000000003000870012287800030a1b2c3d-1111-2222-3333-444455556666000000000000000000000000000000000000000000000000",
                "BLOCKTXT1E4ADF5D00000000003000870012287800030a1b2c3d-1111-2222-3333-444455556666000100000000000000000000000000000000000000000000",
                "BLOCKTXT1E4A543E00000000003000870005433100030a1b2c3d-1111-2222-3333-444455556666000200000000000000000000000000000000000000000000",
            ]
        ),
        (
            "cjk", String(repeating: "报关单", count: 50_000) + String(repeating: "é", count: 1000), 151_087, [41_002, 40_960, 40_960, 28_165],
            [
                "BLOCKTXTC48200FB00000000001510870004100200040a1b2c3d-1111-2222-3333-444455556666000000000000000000000000000000000000000000000000",
                "BLOCKTXTC482166C00000000001510870004096000040a1b2c3d-1111-2222-3333-444455556666000100000000000000000000000000000000000000000000",
                "BLOCKTXTC4829CF300000000001510870004096000040a1b2c3d-1111-2222-3333-444455556666000200000000000000000000000000000000000000000000",
                "BLOCKTXTC482A1DD00000000001510870002816500040a1b2c3d-1111-2222-3333-444455556666000300000000000000000000000000000000000000000000",
            ]
        ),
    ])
    func aLongSignRequestSplitsAsTheSDKSplitsIt(_ name: String, _ inData: String, _ length: Int, _ blocks: [Int], _ headers: [String]) throws {
        let frame = EPortFrames.signRequest(id: 1, inData: inData, passwd: "88888888")
        #expect(frame.utf16.count == length, "\(name)")
        let transfer = try #require(EPortBlocks.transfer(for: frame, guid: Self.guid))
        #expect(transfer.blocks.map(\.utf16.count) == blocks, "\(name)")
        #expect(transfer.blocks.joined() == frame)
        for (number, header) in headers.enumerated() {
            let sent = try #require(transfer.frame(number))
            #expect(sent.hasPrefix(header), "\(name) block \(number)")
            #expect(sent.dropFirst(128) == transfer.blocks[number])
        }
        #expect(transfer.frame(blocks.count) == nil && transfer.frame(-1) == nil)
        #expect(transfer.retryLimit == 3 * blocks.count)
    }

    @Test func shortFramesGoWholeAndSurrogatePairsStayTogether() throws {
        #expect(EPortBlocks.transfer(for: EPortFrames.signRequest(id: 1, inData: String(repeating: "x", count: 100_000), passwd: "p")) == nil)
        #expect(EPortBlocks.split("").isEmpty)
        // 40 959 × 3 = 122 877; the emoji's first half takes it past that, so the cut comes after its second half.
        let text = String(repeating: "报", count: 40_959) + "😀" + "tail"
        let blocks = EPortBlocks.split(text)
        #expect(blocks.count == 2)
        #expect(blocks[0].hasSuffix("😀") && blocks[1] == "tail")
        #expect(blocks.joined() == text)
    }

    @Test func guidsHaveTheSDKsShape() {
        let guid = EPortBlocks.newGUID()
        #expect(guid.count == 36)
        #expect(guid.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(guid.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
        #expect(EPortBlocks.newGUID() != guid)
    }
}
