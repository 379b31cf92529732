import Testing

@testable import WSEdge

/// The upgrade target's path and query, read without `URLComponents`, as `URLComponents.queryItems` would read them.
@Suite struct UpgradeTargetTests {
    @Test func pathAndPercentDecodedQueryItems() {
        let target = UpgradeTarget("/ws?token=a%2Eb.c&x&token=second&empty=&sp=a+b%20c")
        #expect(target.path == "/ws")
        #expect(target.query("token") == "a.b.c")
        #expect(target.query("x") == "")
        #expect(target.query("empty") == "")
        #expect(target.query("sp") == "a+b c")
        #expect(target.query("missing") == nil)
        #expect(target.queryItems == ["token": "a.b.c", "x": "", "empty": "", "sp": "a+b c"])
    }

    @Test(arguments: ["", "?", "/ws?", "/ws??&&==", "/ws?%", "/ws?token=%zz", "/ws?=v", "/ws?token=%E2%82", "?token"])
    func hostileTargetsNeverTrap(_ raw: String) {
        let target = UpgradeTarget(raw)
        _ = target.query("token")
        _ = target.queryItems
        #expect(!target.path.contains("?"))
    }

    @Test func aValueThatDoesNotDecodeKeepsItsRawText() {
        #expect(UpgradeTarget("/ws?token=%zz").query("token") == "%zz")
        #expect(UpgradeTarget("/socket.io/?EIO=4&transport=websocket").queryItems == ["EIO": "4", "transport": "websocket"])
    }
}
