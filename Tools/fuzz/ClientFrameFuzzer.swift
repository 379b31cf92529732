import ClientFrames
import Foundation
import SwitchboardProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The coverage-guided fuzzer of the edge's frame parsing (`make fuzz`, libFuzzer via `swiftc -sanitize=fuzzer`).
///
/// One input is the bytes of one WebSocket text frame. It goes through exactly what the edge does before a handler acts:
/// `ClientMessage.parse`, then `decodeData` as every payload type of `ClientPayloads.all` (whatever the frame's `type`
/// says), then the pure checks the handlers apply to decoded values (ping's latency, group and stream-id parsing, room
/// names). Any trap (an overflowing conversion, an out-of-range index) is a crash libFuzzer reports with the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func clientFrameFuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    guard case .success(let message) = ClientMessage.parse(raw) else { return 0 }
    for payload in ClientPayloads.all { FrameExercise.decode(payload, message) }
    return 0
}

/// With `CLIENT_FRAMES_SEEDS=<dir>` set, writes a seed corpus and `<dir>.dict` recorded from the payload schemas, then
/// exits; `make fuzz` does this before fuzzing so that the seeds know every field without a list kept by hand.
@_cdecl("LLVMFuzzerInitialize")
public func clientFrameFuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let directory = ProcessInfo.processInfo.environment["CLIENT_FRAMES_SEEDS"], !directory.isEmpty else { return 0 }
    do {
        let count = try FrameSeeds.write(to: directory)
        print("wrote \(count) seeds to \(directory) and the dictionary \(directory).dict")
        exit(0)
    } catch {
        print("cannot write seeds to \(directory): \(error)")
        exit(1)
    }
}

enum FrameExercise {
    static func decode<Payload: ClientPayload>(_ type: Payload.Type, _ message: ClientMessage) {
        guard case .success(let payload) = message.decodeData(Payload.self, empty: Payload.whenAbsent) else { return }
        switch payload {
        case let ping as PingRequest:
            _ = ping.latency(nowMs: Int64(Date().timeIntervalSince1970 * 1000))
        case let subscribe as SubscribeRequest:
            let channels = subscribe.channels.compactMap { reference -> Int? in
                if case .id(let channel) = reference { return channel }
                return nil
            }
            let group = TelemetryGroup(
                intervalMs: subscribe.interval ?? 1000, channels: channels, types: subscribe.dataTypes ?? ["T"],
                source: subscribe.source ?? TelemetryGroup.defaultSource)
            if let group { _ = TelemetryGroup(topic: group.topic)?.keys }
        case let join as JoinRoomRequest:
            _ = RoomName.isValid(join.room)
            _ = join.since.flatMap { StreamID($0) }
        case let history as GetHistoryRequest:
            _ = history.room.map(RoomName.isValid)
            _ = history.before.flatMap { StreamID($0) }
        case let chat as ChatMessageRequest:
            _ = RoomName.isValid(chat.room) && chat.content.count > 0
        default:
            break
        }
    }
}

/// Seeds from the recorded schemas: per message type a frame with every field at a plain value, and one per field and
/// extreme value, so the fuzzer starts next to every branch instead of having to discover the field names.
enum FrameSeeds {
    static let extremes = [
        "null", "true", "0", "-1", "0.5", "1e300", "-1e300", "9223372036854775807", "-9223372036854775808", "18446744073709551616", #""""#,
        #""x""#, "[]", "{}",
    ]

    static func write(to directory: String) throws -> Int {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var frames: [String] = []
        var words: Set<String> = ["type", "id", "data", "timestamp"]
        for payload in ClientPayloads.all {
            let (type, schema) = describe(payload)
            words.insert(type)
            let fields = schema.fields.filter { $0.path.hasPrefix("data.") && !$0.path.contains("[]") }
            for field in fields { words.insert(String(field.path.dropFirst(5))) }
            let plain = fields.map { "\"\($0.path.dropFirst(5))\":\(value(for: $0))" }
            frames.append(#"{"type":"\#(type)","id":"s","data":{\#(plain.joined(separator: ","))}}"#)
            for (index, field) in fields.enumerated() {
                for extreme in extremes {
                    var members = plain
                    members[index] = "\"\(field.path.dropFirst(5))\":\(extreme)"
                    frames.append(#"{"type":"\#(type)","id":1,"data":{\#(members.joined(separator: ","))}}"#)
                }
            }
        }
        for (index, frame) in frames.enumerated() {
            try Data(frame.utf8).write(to: URL(fileURLWithPath: "\(directory)/seed-\(index)"))
        }
        let dictionary = (words.sorted().map { "\"\\\"\($0)\\\"\"" } + extremes.map { "\"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"" })
            .joined(separator: "\n")
        try Data((dictionary + "\n").utf8).write(to: URL(fileURLWithPath: "\(directory).dict"))
        return frames.count
    }

    private static func describe<Payload: ClientPayload>(_ type: Payload.Type) -> (String, PayloadSchema) {
        (Payload.messageType, PayloadSchema(payload: Payload.self))
    }

    private static func value(for field: PayloadSchema.Field) -> String {
        switch field.kinds.first {
        case .string: #""a""#
        case .bool: "true"
        case .array: "[1]"
        case .object: "{}"
        case .float, .double: "1.5"
        default: "1"
        }
    }
}
