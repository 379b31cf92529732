/// The top-level `id`, `method` and `deadline` of an RPC envelope, read without decoding the rest of the frame.
///
/// The poll thread needs only the `id` of a reply to find its caller, and a server only `method` and `deadline` to pick
/// a handler; decoding the whole frame with `JSONDecoder` for that doubled the JSON work per hop. This scanner skips
/// every other value (strings, numbers, nested objects) byte by byte. It answers nil for anything unusual — a string with
/// escapes, malformed JSON — and the caller then falls back to `JSONDecoder`, so it can be fast without being complete.
struct EnvelopeHead: Equatable {
    var id: String?
    var method: String?
    var deadline: Int64?

    /// Deepest nesting skipped before giving up (the fallback then decides).
    static let maxDepth = 64

    static func scan(_ frame: [UInt8]) -> EnvelopeHead? {
        frame.withUnsafeBufferPointer { bytes in
            var scanner = Scanner(bytes: bytes)
            return scanner.head()
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func head() -> EnvelopeHead? {
            var head = EnvelopeHead()
            skipWhitespace()
            guard current == UInt8(ascii: "{") else { return nil }
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "}") { return head }
            while true {
                skipWhitespace()
                guard let key = plainString() else { return nil }
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { return nil }
                index += 1
                skipWhitespace()
                if key.elementsEqual("id".utf8) || key.elementsEqual("method".utf8) {
                    guard let value = plainString() else { return nil }
                    let text = String(decoding: value, as: UTF8.self)
                    if key.count == 2 { head.id = text } else { head.method = text }
                } else if key.elementsEqual("deadline".utf8), current != UInt8(ascii: "n") {
                    guard let value = integer() else { return nil }
                    head.deadline = value
                } else {
                    guard skipValue() else { return nil }
                }
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): return head
                default: return nil
                }
            }
        }

        /// A string without escapes, as its bytes; nil for anything else.
        mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
            guard current == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            index = start
            while let byte = current {
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return UnsafeBufferPointer(rebasing: bytes[start..<index - 1])
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        /// A JSON integer that fits Int64; nil for fractions, exponents or overflow.
        mutating func integer() -> Int64? {
            let negative = current == UInt8(ascii: "-")
            if negative { index += 1 }
            var value: Int64 = 0
            var count = 0
            while let byte = current, (0x30...0x39).contains(byte) {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 0x30))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                count += 1
                index += 1
            }
            guard count > 0, current != UInt8(ascii: "."), current != UInt8(ascii: "e"), current != UInt8(ascii: "E") else { return nil }
            return negative ? -value : value
        }

        /// Skips one value of any kind; strings may hold escapes here.
        mutating func skipValue() -> Bool {
            var depth = 0
            repeat {
                skipWhitespace()
                guard let byte = current else { return false }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    guard depth <= EnvelopeHead.maxDepth else { return false }
                    index += 1
                    continue
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { return false }
                    depth -= 1
                    index += 1
                case UInt8(ascii: "\""):
                    guard skipString() else { return false }
                case UInt8(ascii: ","), UInt8(ascii: ":"):
                    guard depth > 0 else { return false }
                    index += 1
                    continue
                default:
                    // Numbers and literals: up to the next structural byte or whitespace.
                    let start = index
                    while let next = current, !Self.isDelimiter(next) { index += 1 }
                    guard index > start else { return false }
                }
            } while depth > 0
            return true
        }

        mutating func skipString() -> Bool {
            index += 1
            while let byte = current {
                index += 1
                if byte == UInt8(ascii: "\"") { return true }
                if byte == UInt8(ascii: "\\") {
                    guard current != nil else { return false }
                    index += 1
                }
            }
            return false
        }

        static func isDelimiter(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "{"),
                UInt8(ascii: "["), 0x20, 0x0A, 0x0D, 0x09:
                true
            default: false
            }
        }
    }
}
