import ClientKit
import Testing

/// The client kit's frame writer and parser against RFC 6455 §5.2, without a socket: every length encoding, masking,
/// frames split at every byte, and close codes.
@Suite("Client kit frames")
struct FrameCodingTests {
    /// An unmasked server frame, as an edge writes it.
    static func serverFrame(_ payload: [UInt8], opcode: UInt8 = 0x1) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        return frame + payload
    }

    @Test(arguments: [0, 5, 125, 126, 200, 65535, 65536, 70000])
    func aMaskedFrameCarriesItsLengthTheMaskBitAndThePayloadUnderTheMask(_ size: Int) {
        let payload = (0..<size).map { UInt8($0 % 251) }
        let frame = WebSocketFrame.masked(payload, opcode: 0x2)
        #expect(frame[0] == 0x82)
        #expect(frame[1] & 0x80 == 0x80, "the mask bit is set")
        let header: Int
        let length: Int
        switch frame[1] & 0x7F {
        case 126:
            header = 4
            length = Int(frame[2]) << 8 | Int(frame[3])
        case 127:
            header = 10
            length = (0..<8).reduce(0) { $0 << 8 | Int(frame[2 + $1]) }
        default:
            header = 2
            length = Int(frame[1] & 0x7F)
        }
        #expect(length == size)
        #expect(header == (size < 126 ? 2 : size < 65536 ? 4 : 10), "the shortest length encoding")
        let key = Array(frame[header..<(header + 4)])
        let unmasked = frame[(header + 4)...].enumerated().map { $0.element ^ key[$0.offset & 3] }
        #expect(frame.count == header + 4 + size)
        #expect(unmasked == payload)
    }

    @Test func anyFirstByteIsWrittenAsGivenForMalformedFrames() {
        #expect(WebSocketFrame.masked([0x7B], first: 0xC1).first == 0xC1)
        #expect(WebSocketFrame.text("hi") == WebSocketFrame.masked(Array("hi".utf8), opcode: 0x1))
    }

    @Test func theParserHandsOutEachFrameOnceHoweverTheStreamIsSplit() {
        let payloads: [[UInt8]] = [Array("a".utf8), [UInt8](repeating: 0x41, count: 300), [], [UInt8](repeating: 0x42, count: 70_000)]
        let stream = payloads.flatMap { Self.serverFrame($0) } + Self.serverFrame([0x03, 0xE8], opcode: 0x8)
        for chunk in [1, 7, 1000, stream.count] {
            var parser = ServerFrameParser()
            var frames: [(UInt8, [UInt8])] = []
            var offset = 0
            while offset < stream.count {
                parser.append(stream[offset..<min(offset + chunk, stream.count)])
                offset += chunk
                while let frame = parser.next() { frames.append((frame.opcode, Array(frame.payload))) }
            }
            #expect(frames.map { $0.1 } == payloads + [[0x03, 0xE8]], "chunks of \(chunk)")
            #expect(frames.map { $0.0 } == [1, 1, 1, 1, 8])
            #expect(parser.next() == nil)
        }
    }

    @Test func theCloseCodeIsReadFromTheFirstCloseFrameOnly() {
        let stream = Self.serverFrame(Array("x".utf8)) + Self.serverFrame([0x03, 0xF1], opcode: 0x8) + Self.serverFrame([0x03, 0xE8], opcode: 0x8)
        #expect(ServerFrameParser.closeCode(in: stream) == 1009)
        #expect(ServerFrameParser.closeCode(in: Self.serverFrame([], opcode: 0x8)) == nil, "a close frame without a code")
        #expect(ServerFrameParser.closeCode(in: Array(stream.prefix(5))) == nil, "a cut stream")
    }
}
