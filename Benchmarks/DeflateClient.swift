import CZlib
import ClientKit
import Foundation

/// A benchmark client's side of permessage-deflate: an upgrade that offers it as a browser does, and the inflater
/// that reads the edge's compressed frames (each compressed alone, `server_no_context_takeover`, so one inflater reset
/// per message serves every socket of a reader thread).
enum DeflateClient {
    /// Chromium's offer.
    static let offer = "permessage-deflate; client_max_window_bits"

    /// Opens a WebSocket offering permessage-deflate; throws when the edge refuses the upgrade or does not agree.
    static func openWebSocket(port: Int, path: String) throws -> Int32 {
        let fd = try RawSocket.connect(port: port)
        do {
            let head = try RawSocket.upgrade(fd, path: path, headers: ["Sec-WebSocket-Extensions": offer])
            guard head.status == 101 else { throw BenchFailure("upgrade of \(path) refused with \(head.status)") }
            guard head.headers["sec-websocket-extensions"]?.hasPrefix("permessage-deflate") == true else {
                throw BenchFailure("the edge did not agree to permessage-deflate (is SWITCHBOARD_WS_DEFLATE=0?)")
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Inflates whole messages; one per reader thread.
    final class Inflater {
        private let raw: OpaquePointer
        private var output = [UInt8](repeating: 0, count: 1 << 16)

        init() throws {
            guard let raw = sb_inflater_new(15) else { throw BenchFailure("zlib refused an inflater") }
            self.raw = raw
        }

        deinit { sb_inflater_free(raw) }

        /// The plain bytes of one compressed message, or nil when it is not valid DEFLATE.
        func inflate(_ payload: ArraySlice<UInt8>) -> [UInt8]? {
            guard sb_inflater_begin(raw, 0) == 0 else { return nil }
            var result: [UInt8] = []
            let input = Array(payload) + [0x00, 0x00, 0xFF, 0xFF]
            var offset = 0
            while true {
                var consumed = 0
                var produced = 0
                let status = input.withUnsafeBufferPointer { bytes in
                    output.withUnsafeMutableBufferPointer { out in
                        sb_inflater_run(raw, bytes.baseAddress! + offset, bytes.count - offset, &consumed, out.baseAddress, out.count, &produced)
                    }
                }
                offset += consumed
                result += output[..<produced]
                if status == Int32(SB_INFLATE_DATA_ERROR) { return nil }
                if status == Int32(SB_INFLATE_STREAM_END) || (offset >= input.count && produced < output.count) { return result }
                if consumed == 0 && produced == 0 { return nil }
            }
        }
    }
}
