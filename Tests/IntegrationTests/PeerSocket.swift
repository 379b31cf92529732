import Foundation
import TestSupport

/// A raw TCP client that can pick its source address, for what the edge must decide per peer before any request:
/// all of 127.0.0.0/8 is loopback on Linux, so `127.0.0.2` is a second client address on the same machine.
final class PeerSocket: @unchecked Sendable {
    // Used from one test task; `@unchecked` because it is a plain file descriptor.
    let fd: Int32

    /// Connects from `source` (port chosen by the kernel) to `destination`:`port`.
    init(port: Int, from source: String = "127.0.0.1", to destination: String = "127.0.0.1") throws {
        fd = try RawSocket.connect(port: port, host: destination, from: source)
        RawSocket.setTimeout(fd, .seconds(5))
    }

    deinit { close(fd) }

    /// Sends everything, or returns false when the peer is gone.
    @discardableResult
    func send(_ text: String) -> Bool {
        RawSocket.sendAll(fd, Array(text.utf8))
    }

    /// True when the edge has closed (or reset) the connection, without waiting and without consuming data.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if count == 0 { return true }
        if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }

    /// Reads until the peer closes or `timeout` passes; returns what arrived and whether the peer closed.
    func readUntilClosed(timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        RawSocket.readUntilClosed(fd, timeout: timeout)
    }

    /// Reads until the end of a response head and the `Content-Length` bytes after it, or `timeout`.
    func readResponse(timeout: Duration) -> (status: Int, body: String)? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let text = String(decoding: received, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound]
                let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = Array(text[headEnd.upperBound...].utf8)
                if body.count >= length { return (status, String(decoding: body.prefix(length), as: UTF8.self)) }
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return nil }
            if count > 0 { received += buffer[..<count] }
        }
        return nil
    }
}
