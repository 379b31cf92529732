@_exported import ClientKit
import Foundation

/// A bare TCP client for what a normal client library hides: the HTTP status of a refused WebSocket upgrade, a client
/// that upgrades and then never reads, hand-made frames. A thin owner of one `RawSocket` descriptor (closed on deinit).
///
/// TestSupport re-exports ClientKit, so tests reach `RawSocket`, `WebSocketFrame`, `ServerFrameParser` and `FreePort`
/// with `import TestSupport`.
public final class RawHTTPConnection: @unchecked Sendable {
    // Used from one test task; `@unchecked` because it is a plain file descriptor.
    public let fd: Int32

    /// Connects to 127.0.0.1:`port` with a 5 s receive timeout; `receiveBuffer` shrinks SO_RCVBUF so a non-reading
    /// client backs up quickly.
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = try RawSocket.connect(port: port, receiveBuffer: receiveBuffer)
        RawSocket.setTimeout(fd, .seconds(5), send: false)
    }

    deinit { close(fd) }

    public func write(_ bytes: [UInt8]) throws {
        try RawSocket.write(fd, bytes)
    }

    /// Sends a WebSocket upgrade request and returns the response status and head (headers as text).
    public func upgrade(path: String, headers: [String: String] = [:]) throws -> (status: Int, head: String) {
        let head = try RawSocket.upgrade(fd, path: path, headers: headers)
        return (head.status, head.text)
    }

    /// A masked client frame (RFC 6455 §5.2).
    public static func maskedFrame(_ payload: [UInt8], opcode: UInt8 = 0x1) -> [UInt8] {
        WebSocketFrame.masked(payload, opcode: opcode)
    }

    /// Reads until the peer closes or `timeout` passes; returns everything read.
    public func readAll(timeout: Duration) -> [UInt8] {
        RawSocket.readUntilClosed(fd, timeout: timeout).bytes
    }

    /// The status code of the first close frame (opcode 8) in a stream of unmasked server frames, if any.
    public static func closeCode(in stream: [UInt8]) -> Int? {
        ServerFrameParser.closeCode(in: stream)
    }
}
