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
        var splitters = Array(repeating: FrameSplitter(), count: sockets.count)
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
                        ChatSockets.send(pollSet[index].fd, ChatSockets.frame(opcode: 0xA, Array(frame.payload)))
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

/// Client frames the chat benchmark writes on its non-blocking sockets.
enum ChatSockets {
    /// A masked client frame (text 0x1, pong 0xA).
    static func frame(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        }
        let mask: [UInt8] = [7, 13, 29, 31]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        return frame
    }

    /// Writes all of `bytes`, waiting out a full socket buffer.
    static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                usleep(100)
            } else {
                return
            }
        }
    }
}
