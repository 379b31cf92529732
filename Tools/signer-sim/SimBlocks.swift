import Foundation
import Synchronization

/// The e-port client's side of the SDK's `BLOCKTXT` block transfer, for one connection: takes each block, asks for the
/// next with `_nextBlock`, and hands back the whole request once every block is in and both check codes match.
///
/// Written from the SDK (`client.js`: `getDataHeader`, `DIGEST.CheckCode`, `callbacks._nextBlock`), apart from the
/// signer's sender. The header is 128 ASCII characters: `BLOCKTXT`, total check code (4), block check code (4), total
/// length (16), block length (8), block count (4), group GUID (36), block number (4), zeros. Lengths are UTF-16 units.
final class SimBlocks: Sendable {
    static let marker = "BLOCKTXT"
    static let headerLength = 128
    /// A transfer of more blocks than this is refused (the signer's largest request is a few dozen).
    static let maxBlocks = 4096

    enum Outcome: Sendable, Equatable {
        /// Send this `_nextBlock` frame (the next block, or the same one again after a bad check code).
        case ask(String)
        /// Every block is in: send `finish`, then answer `request` as if it had come whole.
        case complete(request: String, finish: String)
        /// Not a block the client can use; answer with this error frame.
        case refuse(String)
    }

    private struct Transfer {
        var count: Int
        var totalLength: Int
        var checkCode: String
        var blocks: [Int: String] = [:]
    }

    private let transfers = Mutex<[String: Transfer]>([:])

    func take(_ frame: String) -> Outcome {
        let units = Array(frame.utf16)
        guard units.count >= Self.headerLength else { return .refuse(Self.error("分块报头不足 128 字符")) }
        func field(_ range: Range<Int>) -> String { String(decoding: units[range], as: UTF16.self) }
        let checkCode = field(8..<12)
        let blockCheckCode = field(12..<16)
        let guid = field(44..<80)
        guard let total = Int(field(16..<32)), let length = Int(field(32..<40)), let count = Int(field(40..<44)),
            let number = Int(field(80..<84)), count >= 1, count <= Self.maxBlocks, (0..<count).contains(number)
        else { return .refuse(Self.error("分块报头无效: \(field(0..<84))")) }
        let body = String(decoding: units[Self.headerLength...], as: UTF16.self)
        guard units.count - Self.headerLength == length, Self.checkCode(body) == blockCheckCode else {
            // The SDK's answer to a damaged block: Result false, and the same block again.
            return .ask(Self.nextBlock(guid: guid, next: number, finish: false, result: false))
        }
        return transfers.withLock { transfers in
            var transfer = transfers[guid] ?? Transfer(count: count, totalLength: total, checkCode: checkCode)
            guard transfer.count == count, transfer.totalLength == total, transfer.checkCode == checkCode else {
                transfers[guid] = nil
                return .refuse(Self.error("分块 \(number) 与同组其他分块的报头不一致"))
            }
            transfer.blocks[number] = body
            if let missing = (0..<count).first(where: { transfer.blocks[$0] == nil }) {
                transfers[guid] = transfer
                return .ask(Self.nextBlock(guid: guid, next: missing, finish: false, result: true))
            }
            transfers[guid] = nil
            let whole = (0..<count).compactMap { transfer.blocks[$0] }.joined()
            guard whole.utf16.count == total, Self.checkCode(whole) == checkCode else {
                return .refuse(Self.error("分块拼接后的长度或总校验码不符"))
            }
            return .complete(request: whole, finish: Self.nextBlock(guid: guid, next: count, finish: true, result: true))
        }
    }

    /// `DIGEST.CheckCode` as its table code computes it: CRC-16/MODBUS over the low byte of each UTF-16 unit, its two
    /// bytes printed the other way round.
    static func checkCode(_ text: String) -> String {
        var register: UInt16 = 0xFFFF
        for unit in text.utf16 {
            register ^= unit & 0x00FF
            for _ in 0..<8 {
                let carry = register & 1
                register >>= 1
                if carry == 1 { register ^= 0xA001 }
            }
        }
        let swapped = (register & 0xFF) << 8 | register >> 8
        return String(format: "%04X", Int(swapped))
    }

    /// `{"_method":"_nextBlock","_status":"00","_args":{"Result":…,"Data":[{"guid","next","finish"}],"Error":[]}}`
    static func nextBlock(guid: String, next: Int, finish: Bool, result: Bool) -> String {
        let item: [String: Any] = ["guid": guid, "next": next, "finish": finish]
        return encode([
            "_id": 0, "_method": "_nextBlock", "_status": "00",
            "_args": ["Result": result, "Data": [item], "Error": result ? [] : ["Err:Block", "分块校验失败"]],
        ])
    }

    static func error(_ message: String) -> String {
        // No `_method`: a serial signer hands it to the request waiting on the connection, which fails with it.
        encode(["_id": 0, "_status": "01", "_args": ["Result": false, "Data": [], "Error": ["Err:Block", message]]])
    }

    private static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
