/// Checks UTF-8 (RFC 3629) a piece at a time, so a text message split into fragments is refused (1007) at the first
/// bad byte instead of after the whole message has arrived.
struct UTF8Validator {
    /// Continuation bytes still expected, and the range the next one must fall in (narrower after E0, ED, F0, F4).
    private var needed: UInt8 = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// True when no character is cut off at the end.
    var isComplete: Bool { needed == 0 }

    /// Adds bytes; false at the first byte that cannot be UTF-8 (the validator is then of no further use).
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            if needed == 0 {
                if byte < 0x80 { continue }
                guard start(byte) else { return false }
            } else {
                guard byte >= lower && byte <= upper else { return false }
                needed -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        return true
    }

    private mutating func start(_ byte: UInt8) -> Bool {
        switch byte {
        case 0xC2...0xDF: (needed, lower, upper) = (1, 0x80, 0xBF)
        case 0xE0: (needed, lower, upper) = (2, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (needed, lower, upper) = (2, 0x80, 0xBF)
        case 0xED: (needed, lower, upper) = (2, 0x80, 0x9F)
        case 0xF0: (needed, lower, upper) = (3, 0x90, 0xBF)
        case 0xF1...0xF3: (needed, lower, upper) = (3, 0x80, 0xBF)
        case 0xF4: (needed, lower, upper) = (3, 0x80, 0x8F)
        default: return false
        }
        return true
    }
}
