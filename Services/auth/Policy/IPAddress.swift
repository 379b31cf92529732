import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// IP address syntax and one canonical spelling per address.
///
/// The blocklist and the per-IP counters are keyed by the address text, and IPv6 has many spellings of one address
/// (`2001:db8::1` = `2001:DB8:0:0::1`), as has an IPv4 client seen through a dual-stack socket (`::ffff:10.0.0.1`). Without
/// one canonical form a block or a limit could be dodged by respelling the address.
enum IPAddress {
    /// The canonical text of a valid IPv4 or IPv6 address (IPv4-mapped IPv6 as plain IPv4), or nil when not an address.
    static func canonical(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            return format(family: AF_INET, withUnsafeBytes(of: &v4) { Array($0) })
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, trimmed, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        return format(family: AF_INET6, bytes)
    }

    /// The key text for an address the edge reports: canonical when it parses, else the text itself (bounded), so an odd
    /// value such as `unknown` is still counted rather than refused.
    static func key(_ text: String) -> String {
        canonical(text) ?? String(text.prefix(64))
    }

    private static func format(family: Int32, _ address: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = address.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count)) != nil }
        }
        guard written else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
