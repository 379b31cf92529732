import ClientKit
import Foundation
import Synchronization

/// Reads every member socket of the chat benchmark on one thread with poll(2), as cheaply as possible so the two cores
/// go to the servers: counts `room_joined` replies and errors, answers pings, and records each chat message's latency
/// from the send time the sender stamped into its content (`t=<ns>;`, the same monotonic clock in this process).
final class ChatReader: Sendable {
    private struct State {
        var recording = false
        var latencies: [UInt64] = []
        var joined = 0
        var errors = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let sockets: [Int32]

    private static let chatMarker = Array(#"{"type":"chat_message""#.utf8)
    private static let joinedMarker = Array(#"{"type":"room_joined""#.utf8)
    private static let errorMarker = Array(#"{"type":"error""#.utf8)
    private static let stampMarker = Array(#""content":"t="#.utf8)

    init(sockets: [Int32]) {
        self.sockets = sockets
        for fd in sockets { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        let thread = Thread { [self] in self.loop() }
        thread.name = "chat-reader"
        thread.start()
    }

    var joined: Int { state.withLock { $0.joined } }

    func startRecording() {
        state.withLock { state in
            state.recording = true
            state.latencies.removeAll(keepingCapacity: true)
            state.errors = 0
        }
    }

    func stopRecording() -> (latencies: [UInt64], errors: Int) {
        state.withLock { state in
            state.recording = false
            return (state.latencies, state.errors)
        }
    }

    func stop() { state.withLock { $0.stopped = true } }

    private func loop() {
        var pollSet = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var splitters = Array(repeating: ServerFrameParser(), count: sockets.count)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var latencies: [UInt64] = []
        var joined = 0
        var errors = 0
        while !state.withLock({ $0.stopped }) {
            guard poll(&pollSet, nfds_t(pollSet.count), 100) > 0 else { continue }
            for index in pollSet.indices where pollSet[index].revents != 0 {
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(pollSet[index].fd, $0.baseAddress, $0.count, 0) }
                    guard count > 0 else { break }
                    buffer.withUnsafeBytes { splitters[index].append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                }
                let now = DispatchTime.now().uptimeNanoseconds
                while let frame = splitters[index].next() {
                    if frame.opcode == 9 {
                        RawSocket.sendAll(pollSet[index].fd, WebSocketFrame.masked(Array(frame.payload), opcode: 0xA))
                        continue
                    }
                    guard frame.opcode == 1 else { continue }
                    if frame.payload.starts(with: Self.chatMarker) {
                        if let sent = Self.stamp(in: frame.payload), sent < now { latencies.append(now - sent) }
                    } else if frame.payload.starts(with: Self.joinedMarker) {
                        joined += 1
                    } else if frame.payload.starts(with: Self.errorMarker) {
                        errors += 1
                    }
                }
            }
            if !latencies.isEmpty || joined > 0 || errors > 0 {
                state.withLock { state in
                    if state.recording { state.latencies += latencies }
                    state.joined += joined
                    state.errors += errors
                }
                latencies.removeAll(keepingCapacity: true)
                joined = 0
                errors = 0
            }
        }
    }

    static func stamp(in payload: ArraySlice<UInt8>) -> UInt64? {
        guard let range = payload.firstRange(of: stampMarker) else { return nil }
        var value: UInt64 = 0
        var index = range.upperBound
        while index < payload.endIndex, payload[index] >= 0x30, payload[index] <= 0x39 {
            value = value &* 10 &+ UInt64(payload[index] - 0x30)
            index += 1
        }
        return value > 0 ? value : nil
    }
}
