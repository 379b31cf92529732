import ClientKit
import Foundation

/// A keep-alive HTTP/1.1 client on one blocking socket, for load generators that run each client on its own thread.
///
/// URLSession on Linux caps connections per host and spends more CPU per request than the services under test; a bare
/// socket keeps the generator's cost small and its connection count exactly the number of clients.
final class BlockingHTTPClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1") throws {
        do {
            fd = try RawSocket.connect(port: port, host: host)
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    deinit { close(fd) }

    /// Sends one request and reads the whole response (Content-Length bodies only).
    func request(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "text/plain") throws -> (status: Int, body: [UInt8]) {
        var message = Array(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        message += body
        try message.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let count = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
                sent += count
            }
        }
        let headerEnd = try readUntilHeaderEnd()
        let head = String(decoding: buffer[..<headerEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "bad status line: \(head.prefix(80))")
        }
        var length = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        let bodyStart = headerEnd + 4
        while buffer.count < bodyStart + length { try fill() }
        let responseBody = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return (status, responseBody)
    }

    private func readUntilHeaderEnd() throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                var index = max(0, searchFrom - 3)
                while index + 3 < buffer.count {
                    if buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 { return index }
                    index += 1
                }
                searchFrom = buffer.count
            }
            try fill()
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(description: count == 0 ? "connection closed" : "recv: \(String(cString: strerror(errno)))") }
        buffer += chunk[..<count]
    }
}
