/// Why a call to the e-port signing client failed, sorted by what the bridge does about it.
///
/// Only connection failures are retried (once, on a fresh connection); a refusal (`Result:false`), a bad status, a
/// garbled reply or a timeout is final. Each case knows its HTTP status and the `msg` the `/getCode` caller sees, so
/// the upstream's own `Error` strings reach the caller unchanged.
enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP or WebSocket connection could not be made.
    case connect(String)
    /// The connection ended before the reply arrived.
    case closed(String)
    /// The first frame was not `{"_method":"open","_status":"00"}`.
    case handshake(String)
    /// `Result:false`, with the upstream's `Error` strings.
    case rejected([String])
    /// `_status` other than `"00"`, with the upstream's `Error` strings.
    case status(String, [String])
    /// A reply that is not the protocol: not JSON, no `Data`, an empty signature, a reply without `_id` in multiplex mode.
    case malformed(String)
    /// No answer (or no free connection) before the request's deadline.
    case timeout(Duration)
    /// The wait queue for a free connection is full.
    case busy(Int)

    /// Connection errors are the only ones worth one more try on a fresh connection.
    var isRetryable: Bool {
        switch self {
        case .connect, .closed: true
        default: false
        }
    }

    /// 502 for everything the upstream did wrong, 504 for a timeout, 503 when the bridge itself is saturated.
    var httpStatus: Int {
        switch self {
        case .timeout: 504
        case .busy: 503
        default: 502
        }
    }

    /// Machine-readable code for the `{"code","message"}` error shape of `/api/sign`.
    var code: String {
        switch self {
        case .connect, .closed: "upstream_unavailable"
        case .handshake: "upstream_handshake"
        case .rejected: "upstream_rejected"
        case .status: "upstream_status"
        case .malformed: "upstream_malformed"
        case .timeout: "upstream_timeout"
        case .busy: "busy"
        }
    }

    /// The `msg` of a `/getCode` error, in the bridge's language, with the upstream's own words where it gave any.
    var description: String {
        switch self {
        case .connect(let detail): "连接签名服务失败: \(detail)"
        case .closed(let detail): "签名服务连接已断开: \(detail)"
        case .handshake(let detail): "WebSocket 握手失败: \(detail)"
        case .rejected(let errors): errors.isEmpty ? "签名失败" : "签名失败: \(errors.joined(separator: "; "))"
        case .status(let status, let errors):
            "响应状态错误: _status=\(status)" + (errors.isEmpty ? "" : ": \(errors.joined(separator: "; "))")
        case .malformed(let detail): "签名服务响应无效: \(detail)"
        case .timeout(let after): "接收响应超时（\(Self.seconds(after))秒）"
        case .busy(let limit): "签名服务繁忙: 等待队列已满（\(limit)）"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : String(Double(milliseconds) / 1000)
    }
}
