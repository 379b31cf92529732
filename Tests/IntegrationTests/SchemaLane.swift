import Foundation
import TestSupport

/// One WebSocket connection that sends generated cases (up to `window` unanswered) and matches every answer to its case
/// by id, checking it against the case's expectation. A reader thread takes the answers as they come, so the edge never
/// waits on this client, however large the frames are.
///
/// A case without an id (its id is what is fuzzed) is sent alone once everything before it is answered; the next frame
/// that is not unsolicited is its answer.
final class SchemaLane: @unchecked Sendable {
    // The reader thread and the sending thread share `state` under `condition`; nothing else is mutable.
    /// Frames that arrive without being asked for.
    static let unsolicited: Set<String> = [
        "connection_established", "connection_confirmed", "heartbeat", "data_batch", "notice", "menu_update", "alarm", "permission_update",
        "member_joined", "member_left", "task_update", "answer",
    ]

    struct Result: Sendable {
        var sent = 0
        var answered = 0
        var errors = 0
        var replies = 0
        var failures: [String] = []
    }

    private struct State {
        var outstanding: [String: Int] = [:]
        var alone: Int?
        var result = Result()
        var closed = false
        var readerDone = false
        var lastProgress = ContinuousClock.now
    }

    let port: Int
    let path: String
    let cases: [SchemaCase]
    let window = 16
    let answerTimeout = Duration.seconds(30)
    private let condition = NSCondition()
    private var state = State()

    init(port: Int, path: String, cases: [SchemaCase]) {
        self.port = port
        self.path = path
        self.cases = cases
    }

    func run() -> Result {
        guard let (fd, rest) = FuzzLane.upgrade(port: port, path: path) else {
            return Result(failures: ["\(path): cannot connect"])
        }
        RawSocket.setTimeout(fd, .seconds(1), send: false)
        let reader = Thread { self.read(fd, rest) }
        reader.stackSize = 4 << 20
        reader.start()
        defer {
            condition.withLock { state.closed = true }
            shutdown(fd, Int32(SHUT_RDWR))
            while !condition.withLock({ state.readerDone }) { usleep(10_000) }
            close(fd)
        }
        for (index, item) in cases.enumerated() {
            guard waitUntil({ $0.outstanding.count < self.window && $0.alone == nil && (item.id != nil || $0.outstanding.isEmpty) }) else {
                return finish()
            }
            condition.withLock {
                if let id = item.id { state.outstanding[id] = index } else { state.alone = index }
                state.result.sent += 1
            }
            guard FuzzSocket.sendAll(fd, RawHTTPConnection.maskedFrame(item.frame)) else {
                condition.withLock { state.result.failures.append("\(item.label): the send failed (the edge closed the connection?)") }
                return finish()
            }
        }
        _ = waitUntil { $0.outstanding.isEmpty && $0.alone == nil }
        return finish()
    }

    private func finish() -> Result {
        condition.withLock {
            for index in state.outstanding.values.sorted() + (state.alone.map { [$0] } ?? []) {
                state.result.failures.append("\(cases[index].label): no answer within \(answerTimeout)")
            }
            state.outstanding = [:]
            state.alone = nil
            return state.result
        }
    }

    /// Waits until `ready` holds; false when the connection closed or nothing was answered for `answerTimeout`.
    private func waitUntil(_ ready: (State) -> Bool) -> Bool {
        condition.withLock {
            while !ready(state) {
                if state.closed || ContinuousClock.now - state.lastProgress > answerTimeout { return false }
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
            }
            return true
        }
    }

    private func read(_ fd: Int32, _ rest: [UInt8]) {
        var splitter = ServerFrameParser()
        splitter.append(rest[...])
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        reading: while true {
            while let (opcode, payload) = splitter.next().map({ ($0.opcode, Array($0.payload)) }) {
                switch opcode {
                case 0x1: condition.withLock { take(payload) }
                case 0x9: _ = FuzzSocket.sendAll(fd, RawHTTPConnection.maskedFrame(payload, opcode: 0xA))
                case 0x8:
                    condition.withLock {
                        if !state.closed { state.result.failures.append("\(path): the edge closed the connection") }
                    }
                    break reading
                default: continue
                }
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                splitter.append(buffer[..<count])
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                if condition.withLock({ state.closed }) { break }
            } else {
                condition.withLock {
                    if !state.closed { state.result.failures.append("\(path): the connection ended") }
                }
                break
            }
        }
        condition.withLock {
            state.closed = true
            state.readerDone = true
            condition.broadcast()
        }
    }

    /// Matches one text frame to its case and checks it (under the lock).
    private func take(_ payload: [UInt8]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any], let type = object["type"] as? String else {
            state.result.failures.append("\(path): a server frame that is not a JSON object: \(FuzzTally.preview(payload))")
            return
        }
        if Self.unsolicited.contains(type) { return }
        let data = object["data"] as? [String: Any] ?? [:]
        let frameID = object["id"] as? String ?? ""
        let keys = [data["request_id"] as? String, data["client_id"] as? String].compactMap { $0 }
        let matched =
            keys.first { state.outstanding[$0] != nil }
            ?? state.outstanding.keys.first { frameID.hasPrefix($0 + "_") }
        let index: Int
        if let matched, let found = state.outstanding.removeValue(forKey: matched) {
            index = found
        } else if let alone = state.alone {
            index = alone
            state.alone = nil
        } else {
            state.result.failures.append("\(path): an answer nobody asked for (or a second one): \(FuzzTally.preview(payload))")
            return
        }
        state.result.answered += 1
        state.lastProgress = .now
        condition.broadcast()
        check(cases[index], type: type, data: data, payload: payload)
    }

    private func check(_ item: SchemaCase, type: String, data: [String: Any], payload: [UInt8]) {
        let text = String(decoding: payload, as: UTF8.self)
        if type == "error" {
            state.result.errors += 1
            let code = data["code"] as? String ?? ""
            let message = data["message"] as? String ?? ""
            guard !code.isEmpty, !message.isEmpty else {
                state.result.failures.append("\(item.label): an error without code or message: \(FuzzTally.preview(payload))")
                return
            }
            if case .refusal(let field) = item.expectation, code != "INVALID_MESSAGE" || !message.contains(field) {
                state.result.failures.append("\(item.label): expected INVALID_MESSAGE naming \(field), got \(code): \(message.prefix(200))")
            }
            return
        }
        state.result.replies += 1
        guard item.replies.contains(type) else {
            state.result.failures.append("\(item.label): answered \(type), expected error or \(item.replies.sorted()): \(FuzzTally.preview(payload))")
            return
        }
        if case .refusal(let field) = item.expectation, !text.contains(field) {
            state.result.failures.append("\(item.label): the value cannot decode, yet \(type) does not name \(field): \(FuzzTally.preview(payload))")
        }
    }
}
