import Foundation
import NIOCore
import Testing

@testable import WSEdge

/// `pong` and `heartbeat_ack`, written without an encoder on the hot path, are the frames the encoder wrote before.
@Suite struct EdgeAnswersTests {
    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    @Test(arguments: [(Int64(0), Int64(0)), (1_764_000_000, -3), (Int64.max, Int64.min)])
    func pongDataIsWhatTheSortedEncoderWrites(serverTime: Int64, latency: Int64) throws {
        struct Pong: Encodable {
            let server_time: Int64
            let latency: Int64
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let expected = try encoder.encode(Pong(server_time: serverTime, latency: latency))
        #expect(EdgeAnswers.pongData(serverTime: serverTime, latency: latency) == Array(expected))
        #expect(EdgeAnswers.heartbeatAckData(serverTime: serverTime) == Array(#"{"server_time":\#(serverTime)}"#.utf8))
    }

    @Test func aPingIsAnsweredWithItsIdTheServerTimeAndTheLatency() throws {
        let sent = Int64(Date().timeIntervalSince1970 * 1000) - 250
        let message = try ClientMessage.parse(Data(#"{"type":"ping","id":"p7","data":{"timestamp":\#(sent)}}"#.utf8)).get()
        let pong = try Self.object(try EdgeAnswers.answer(message))
        #expect(pong["type"] as? String == "pong")
        #expect(pong["id"] as? String == "p7_pong")
        let data = try #require(pong["data"] as? [String: Any])
        let latency = try #require(data["latency"] as? Int)
        #expect((250..<60_000).contains(latency))
        #expect(data["server_time"] as? Int == pong["timestamp"] as? Int)

        let heartbeat = try ClientMessage.parse(Data(#"{"type":"heartbeat","id":7}"#.utf8)).get()
        let ack = try Self.object(try EdgeAnswers.answer(heartbeat))
        #expect(ack["type"] as? String == "heartbeat_ack")
        #expect(ack["id"] as? String == "7_ack")
        #expect((ack["data"] as? [String: Any])?["server_time"] as? Int == ack["timestamp"] as? Int)
    }
}
