/// The official e-port JavaScript SDK's block transfer (`BLOCKTXT`), for e-port clients that take no frame over 120 KB.
///
/// Written from the SDK the Java client ships (`chinaport-data-signature-webapp/src/main/resources/static/client.js`:
/// `splitStrData`, `getDataHeader`, `DIGEST.CheckCode`, `sendFrames`, `callbacks._nextBlock`). A request too long for
/// one block goes out as block 0 behind a 128-character header; the client answers `_method:"_nextBlock"` with
/// `Data:[{"guid","next","finish"}]` for each further block it wants, then answers the request itself. The SDK counts
/// in UTF-16 code units (JavaScript string lengths), so this does too.
enum EPortBlocks {
    /// The SDK's `MaxLength`: a block's weighted length stays within this (`splitStrData` cuts past `MaxLength - 3`).
    static let maxLength = 120 * 1024
    static let headerLength = 128
    static let marker = "BLOCKTXT"
    static let nextBlockMethod = "_nextBlock"

    /// One request split into blocks, kept until the client has asked for every block.
    struct Transfer: Sendable {
        let guid: String
        let checkCode: String
        let totalLength: Int
        let blocks: [String]
        /// Blocks the client asked for again after a `Result:false`; the SDK gives up past `3 × blocks`.
        var retries = 0

        var retryLimit: Int { blocks.count * 3 }

        /// Block `number` behind its header, ready to send; nil for a number the transfer does not have.
        func frame(_ number: Int) -> String? {
            guard blocks.indices.contains(number) else { return nil }
            let block = blocks[number]
            return EPortBlocks.header(
                checkCode: checkCode, blockCheckCode: EPortBlocks.checkCode(block), totalLength: totalLength,
                blockLength: block.utf16.count, blockCount: blocks.count, guid: guid, blockNumber: number
            ) + block
        }
    }

    /// The transfer for `frame`, or nil when it fits in one block and goes out whole (as the SDK's `baseInvoke` sends it).
    static func transfer(for frame: String, guid: String = newGUID()) -> Transfer? {
        let blocks = split(frame)
        guard blocks.count > 1 else { return nil }
        return Transfer(guid: guid, checkCode: checkCode(frame), totalLength: frame.utf16.count, blocks: blocks)
    }

    /// `splitStrData`: a code unit above U+00FF weighs 3 (what `escape` turns into `%uXXXX`), any other 1; a block ends
    /// after the unit that takes its weight past `maxLength - 3`. Unlike the SDK, a cut never falls between the two
    /// halves of a surrogate pair (the SDK would send two lone surrogates, which UTF-8 cannot carry).
    static func split(_ text: String) -> [String] {
        let units = Array(text.utf16)
        var blocks: [String] = []
        var start = 0
        var weight = 0
        var index = 0
        while index < units.count {
            weight += units[index] > 0xFF ? 3 : 1
            if weight > maxLength - 3 {
                if UTF16.isLeadSurrogate(units[index]), index + 1 < units.count { index += 1 }
                blocks.append(String(decoding: units[start...index], as: UTF16.self))
                start = index + 1
                weight = 0
            }
            index += 1
        }
        if start < units.count { blocks.append(String(decoding: units[start...], as: UTF16.self)) }
        return blocks
    }

    /// `DIGEST.CheckCode`: CRC-16/MODBUS over the low byte of each UTF-16 code unit, printed as the SDK's table code
    /// leaves it (bytes swapped), four uppercase hex digits. `"123456789"` gives `374B`.
    static func checkCode(_ text: some StringProtocol) -> String {
        var crc: UInt16 = 0xFFFF
        for unit in text.utf16 {
            crc ^= unit & 0xFF
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return hex4((crc << 8) | (crc >> 8))
    }

    /// `getDataHeader`: `BLOCKTXT`, total check code (4), block check code (4), total length (16), block length (8), block
    /// count (4), group GUID (36), block number (4), zeros to 128. Fields are zero-padded on the left, as `equilongString`.
    static func header(
        checkCode: String, blockCheckCode: String, totalLength: Int, blockLength: Int, blockCount: Int, guid: String, blockNumber: Int
    ) -> String {
        var text = marker
        text += padded(checkCode, 4) + padded(blockCheckCode, 4) + padded(String(totalLength), 16) + padded(String(blockLength), 8)
        text += padded(String(blockCount), 4) + padded(guid, 36) + padded(String(blockNumber), 4)
        text += String(repeating: "0", count: max(0, headerLength - text.count))
        return String(text.prefix(headerLength))
    }

    /// `getGuid`: 32 random lowercase hex digits as 8-4-4-4-12.
    static func newGUID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = (0..<32).map { _ in hexDigits[Int(generator.next() % 16)] }
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }
        return groups.joined(separator: "-")
    }

    /// What a `_nextBlock` frame asks for: block `next` of the transfer `guid`, or nothing more (`finish`).
    struct NextBlock: Sendable, Equatable {
        var guid: String
        var next: Int?
        var finish: Bool
        /// `Result:false`: the client could not take the last block and asks for `next` again.
        var retry: Bool
    }

    /// Reads a `_nextBlock` frame (`_args.Data[0]` is an object); nil when `object` is not one or names no guid.
    static func nextBlock(_ object: JSONReader.Value) -> NextBlock? {
        guard object["_method"]?.string == nextBlockMethod else { return nil }
        let body: JSONReader.Value =
            if let nested = object["_args"], case .object = nested { nested } else { object }
        guard case .array(let data) = body["Data"], let first = data.first, let guid = first["guid"]?.string else { return nil }
        let next: Int? =
            switch first["next"] {
            case .number(let text), .string(let text): Int(text)
            default: nil
            }
        let finish = first["finish"] == .bool(true) || first["finish"] == .string("true")
        return NextBlock(guid: guid, next: next, finish: finish, retry: body["Result"] == .bool(false))
    }

    private static let hexDigits = Array("0123456789abcdef")

    private static func hex4(_ value: UInt16) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - text.count) + text
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
