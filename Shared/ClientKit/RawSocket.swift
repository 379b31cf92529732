import Foundation

/// Plain blocking TCP sockets and hand-written HTTP/1.1, for what a normal client library hides or costs too much for:
/// the status of a refused WebSocket upgrade, a client that upgrades and never reads, a chosen source address, and load
/// generators whose own CPU must stay small (benchmarks, `switchboard-chaos`). Everything here is on file descriptors,
/// so a caller can `poll(2)` thousands of them from one thread.
public enum RawSocket {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// A response head: status, headers (names lower-cased) and the head as text.
    public struct Head: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let text: String
    }

    /// A connected TCP socket (TCP_NODELAY), blocking. `source` binds a local address first (all of 127.0.0.0/8 is
    /// loopback on Linux, so `127.0.0.2` is a second client); `timeout` sets SO_RCVTIMEO and SO_SNDTIMEO;
    /// `receiveBuffer` shrinks SO_RCVBUF so a client that does not read backs up quickly.
    public static func connect(
        port: Int,
        host: String = "127.0.0.1",
        from source: String? = nil,
        timeout: Duration? = nil,
        receiveBuffer: Int? = nil
    ) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket(): \(String(cString: strerror(errno)))") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let timeout { setTimeout(fd, timeout) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var local = address(source ?? "0.0.0.0", port: 0)
        var remote = address(host, port: port)
        let bound =
            source == nil
            || withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        let connected =
            bound
            && withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        guard connected else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure("connect\(source.map { " from \($0)" } ?? "") to \(host):\(port): \(reason)")
        }
        return fd
    }

    /// SO_RCVTIMEO and SO_SNDTIMEO: a blocking call gives up after `timeout`.
    public static func setTimeout(_ fd: Int32, _ timeout: Duration, send: Bool = true) {
        let microseconds = timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000
        var value = timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        if send { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size)) }
    }

    private static func address(_ ip: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(ip)
        return address
    }

    /// Writes all of `bytes`, waiting out a full buffer on a non-blocking socket (up to about 5 s); false when the peer
    /// is gone or the buffer never drains.
    @discardableResult
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        var spins = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && spins < 50_000 {
                spins += 1
                usleep(100)
            } else {
                return false
            }
        }
        return true
    }

    /// `sendAll`, throwing when it fails.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        guard sendAll(fd, bytes) else { throw Failure("send: \(String(cString: strerror(errno)))") }
    }

    /// Reads a response head byte by byte, so nothing after it (the first WebSocket frame) is consumed.
    public static func readHead(_ fd: Int32) -> Head? {
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1 else { return nil }
            head.append(byte)
        }
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.split(separator: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers, text: text)
    }

    /// A WebSocket upgrade request for `path` with a fixed key (the answer is not checked, only the status).
    public static func upgradeRequest(path: String, headers: [String: String] = [:]) -> [UInt8] {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return Array((request + "\r\n").utf8)
    }

    /// Sends the upgrade request on `fd` and reads the answer's head.
    public static func upgrade(_ fd: Int32, path: String, headers: [String: String] = [:]) throws -> Head {
        try write(fd, upgradeRequest(path: path, headers: headers))
        guard let head = readHead(fd) else { throw Failure("connection closed during the upgrade response") }
        return head
    }

    /// Opens a WebSocket: the socket (blocking, the greeting still unread), or throws when refused.
    public static func openWebSocket(port: Int, path: String, timeout: Duration? = nil) throws -> Int32 {
        let fd = try connect(port: port, timeout: timeout)
        do {
            let head = try upgrade(fd, path: path)
            guard head.status == 101 else { throw Failure("upgrade of \(path) refused with \(head.status)") }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// One HTTP request on a fresh connection (`Connection: close`): status, headers and body, or nil when nothing
    /// whole came back within `timeout`.
    public static func http(
        port: Int,
        _ method: String,
        _ path: String,
        body: [UInt8]? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) -> (status: Int, headers: [String: String], body: [UInt8])? {
        guard let fd = try? connect(port: port, timeout: timeout) else { return nil }
        defer { close(fd) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body?.count ?? 0)\r\n"
        if body != nil && headers.keys.allSatisfy({ $0.lowercased() != "content-type" }) { request += "Content-Type: application/json\r\n" }
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        guard sendAll(fd, Array((request + "\r\n").utf8) + (body ?? [])), let head = readHead(fd) else { return nil }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let length = head.headers["content-length"].flatMap { Int($0) }
        while length.map({ data.count < $0 }) ?? true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            data += buffer[..<count]
        }
        if let length, data.count < length { return nil }
        return (head.status, head.headers, data)
    }

    /// `http` with a text body (JSON, usually).
    public static func http(
        port: Int,
        _ method: String,
        _ path: String,
        body: String?,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(10)
    ) -> (status: Int, headers: [String: String], body: [UInt8])? {
        http(port: port, method, path, body: body.map { Array($0.utf8) }, headers: headers, timeout: timeout)
    }

    /// Reads until the peer closes or `timeout` passes; returns what arrived and whether the peer closed.
    public static func readUntilClosed(_ fd: Int32, timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return (result, true) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return (result, true)
            }
            result += buffer[..<count]
        }
        return (result, false)
    }
}
