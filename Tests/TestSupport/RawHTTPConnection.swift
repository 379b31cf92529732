import Foundation

/// A bare TCP client for what a normal client library hides: the HTTP status of a refused WebSocket upgrade, a client
/// that upgrades and then never reads, hand-made frames.
public final class RawHTTPConnection: @unchecked Sendable {
    // Used from one test task; `@unchecked` because it is a plain file descriptor.
    public let fd: Int32

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks SO_RCVBUF so a non-reading client backs up quickly.
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw HarnessError("connect to port \(port) failed")
        }
    }

    deinit { close(fd) }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw HarnessError("send failed") }
            offset += sent
        }
    }

    /// Sends a WebSocket upgrade request and returns the response status and head (headers as text).
    public func upgrade(path: String, headers: [String: String] = [:]) throws -> (status: Int, head: String) {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try write(Array(request.utf8))
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1 else { throw HarnessError("connection closed during the upgrade response") }
            head.append(byte)
        }
        let text = String(decoding: head, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text)
    }

    /// A masked client text frame (RFC 6455 §5.2).
    public static func maskedFrame(_ payload: [UInt8], opcode: UInt8 = 0x1) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame.append(0x80 | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xff) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }

    /// Reads until the peer closes or `timeout` passes; returns everything read.
    public func readAll(timeout: Duration) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let end = ContinuousClock.now + timeout
        var shortTimeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &shortTimeout, socklen_t(MemoryLayout<timeval>.size))
        while ContinuousClock.now < end {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { break }
            if count > 0 { result += buffer[..<count] }
        }
        return result
    }

    /// The status code of the first close frame (opcode 8) in a stream of unmasked server frames, if any.
    public static func closeCode(in stream: [UInt8]) -> Int? {
        var index = 0
        while index + 2 <= stream.count {
            let opcode = stream[index] & 0x0f
            var length = Int(stream[index + 1] & 0x7f)
            var header = 2
            if length == 126 {
                guard index + 4 <= stream.count else { return nil }
                length = Int(stream[index + 2]) << 8 | Int(stream[index + 3])
                header = 4
            } else if length == 127 {
                guard index + 10 <= stream.count else { return nil }
                length = (0..<8).reduce(0) { $0 << 8 | Int(stream[index + 2 + $1]) }
                header = 10
            }
            if opcode == 0x8 {
                guard length >= 2, index + header + 2 <= stream.count else { return nil }
                return Int(stream[index + header]) << 8 | Int(stream[index + header + 1])
            }
            index += header + length
        }
        return nil
    }
}
