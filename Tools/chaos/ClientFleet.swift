import ClientKit
import Foundation
import Synchronization

/// Nanoseconds on the monotonic clock, the one time base of the whole run.
func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Every WebSocket client of the chaos run, read by one thread with poll(2): it records what each client lives through
/// (which edge greeted it, when it was cut off, when each telemetry batch arrived, which chat messages came back), so
/// the phases can ask afterwards who was disconnected and how long data took to flow again.
final class ClientFleet: Sendable {
    enum Role: String, Sendable { case idle, telemetry, member, sender }

    struct Client: Sendable {
        let role: Role
        var fd: Int32
        var edge: String?
        var closedAt: UInt64?
        var closeCode: Int?
        var batches: [UInt64] = []
        var joinedAt: UInt64?
        var subscribedAt: UInt64?
        var errors = 0
        var lastError = ""
    }

    private struct State {
        var clients: [Client] = []
        /// Chat frame ids the sender saw come back (persisted, then fanned out), with the arrival time.
        var acked: [String: UInt64] = [:]
        var deliveries = 0
        var chatErrors: [String: Int] = [:]
        /// The first message of each error code the sender got, and when.
        var chatErrorSamples: [String: String] = [:]
        var stopped = false
    }

    private let state = Mutex(State())

    init() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "chaos-reader"
        thread.start()
    }

    func stop() { state.withLock { $0.stopped = true } }

    /// Adds a connected socket (greeting unread) and returns the client's index.
    @discardableResult
    func add(_ fd: Int32, role: Role) -> Int {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return state.withLock { state in
            state.clients.append(Client(role: role, fd: fd))
            return state.clients.count - 1
        }
    }

    /// Gives a disconnected client a new socket (its history of batches is kept).
    func replace(_ index: Int, with fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        state.withLock { state in
            state.clients[index].fd = fd
            state.clients[index].closedAt = nil
            state.clients[index].closeCode = nil
            state.clients[index].edge = nil
            state.clients[index].joinedAt = nil
            state.clients[index].subscribedAt = nil
        }
    }

    func send(_ index: Int, _ text: String) -> Bool {
        let fd = state.withLock { $0.clients[index].closedAt == nil ? $0.clients[index].fd : -1 }
        guard fd >= 0 else { return false }
        return RawSocket.sendAll(fd, WebSocketFrame.text(text))
    }

    var clients: [Client] { state.withLock { $0.clients } }

    var acked: [String: UInt64] { state.withLock { $0.acked } }

    var deliveries: Int { state.withLock { $0.deliveries } }

    var chatErrors: [String: Int] { state.withLock { $0.chatErrors } }

    var chatErrorSamples: [String: String] { state.withLock { $0.chatErrorSamples } }

    /// Indices of clients whose connection ended at or after `since`.
    func closed(since: UInt64) -> [Int] {
        state.withLock { state in state.clients.indices.filter { (state.clients[$0].closedAt ?? 0) >= since && state.clients[$0].closedAt != nil } }
    }

    private static let batchMarker = Array(#"{"type":"data_batch""#.utf8)

    private func loop() {
        var splitters: [Int32: ServerFrameParser] = [:]
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let open: [(index: Int, fd: Int32)] = state.withLock { state in
                if state.stopped { return [] }
                return state.clients.indices.compactMap { state.clients[$0].closedAt == nil ? ($0, state.clients[$0].fd) : nil }
            }
            if state.withLock({ $0.stopped }) { return }
            guard !open.isEmpty else {
                usleep(20_000)
                continue
            }
            var pollSet = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            guard poll(&pollSet, nfds_t(pollSet.count), 50) > 0 else { continue }
            for (slot, entry) in open.enumerated() where pollSet[slot].revents != 0 {
                var ended = false
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(entry.fd, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        splitters[entry.fd, default: ServerFrameParser()].append(buffer[..<count])
                        continue
                    }
                    if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { ended = true }
                    break
                }
                let now = nowNanos()
                var closeCode: Int?
                while let (opcode, payload) = splitters[entry.fd, default: ServerFrameParser()].next().map({ ($0.opcode, Array($0.payload)) }) {
                    switch opcode {
                    case 0x9:
                        RawSocket.sendAll(entry.fd, WebSocketFrame.masked(payload, opcode: 0xA))
                    case 0x8:
                        ended = true
                        closeCode = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 1005
                    case 0x1:
                        handle(payload[...], client: entry.index, at: now)
                    default:
                        break
                    }
                }
                if ended {
                    splitters[entry.fd] = nil
                    close(entry.fd)
                    state.withLock { state in
                        state.clients[entry.index].closedAt = now
                        state.clients[entry.index].closeCode = closeCode
                    }
                }
            }
        }
    }

    private func handle(_ payload: ArraySlice<UInt8>, client index: Int, at now: UInt64) {
        if payload.starts(with: Self.batchMarker) {
            state.withLock { $0.clients[index].batches.append(now) }
            return
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any], let type = object["type"] as? String else {
            return
        }
        let data = object["data"] as? [String: Any] ?? [:]
        state.withLock { state in
            switch type {
            case "connection_established":
                state.clients[index].edge = data["edge"] as? String
            case "subscribe_ack":
                state.clients[index].subscribedAt = now
            case "room_joined":
                state.clients[index].joinedAt = now
            case "chat_message":
                state.deliveries += 1
                if state.clients[index].role == .sender, let id = data["client_id"] as? String {
                    state.acked[id] = now
                }
            case "error":
                state.clients[index].errors += 1
                let code = data["code"] as? String ?? "?"
                state.clients[index].lastError = "\(code): \(data["message"] as? String ?? "")"
                if state.clients[index].role == .sender {
                    state.chatErrors[code, default: 0] += 1
                    if state.chatErrorSamples[code] == nil { state.chatErrorSamples[code] = state.clients[index].lastError }
                }
            default:
                break
            }
        }
    }
}
