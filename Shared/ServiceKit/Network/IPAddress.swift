import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One IPv4 or IPv6 address, parsed, with one canonical spelling.
///
/// The blocklist and the per-IP counters are keyed by address text, and IPv6 has many spellings of one address
/// (`2001:db8::1` = `2001:DB8:0:0::1`), as has an IPv4 client seen through a dual-stack socket (`::ffff:10.0.0.1`).
/// Without one canonical form a block or a limit could be dodged by respelling the address. IPv4-mapped IPv6 is stored
/// as plain IPv4, so `10.0.0.0/8` matches a mapped client too.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// Parses an address (surrounding spaces allowed); nil for anything else, including a CIDR or a port.
    public init?(_ text: some StringProtocol) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, trimmed, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF {
            bytes = Array(raw[12..<16])
        } else {
            bytes = raw
        }
    }

    /// From 4 or 16 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The canonical text (`inet_ntop`'s spelling: lower case, the longest zero run as `::`).
    public var description: String {
        let family = isIPv4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count)) != nil }
        }
        guard written, let text = buffer.withUnsafeBufferPointer({ $0.baseAddress.map { String(cString: $0) } }) else {
            return bytes.map(String.init).joined(separator: ".")
        }
        return text
    }

    /// `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// What per-IP policy counts this address as: the address itself for IPv4, its /64 for IPv6 (`2001:db8:1:2::/64`).
    ///
    /// One IPv6 subscriber usually holds a whole /64 and can pick any address in it at will, so counting single
    /// addresses would let one client open 2⁶⁴ times the per-IP limit or step around a block.
    public var policyKey: String {
        guard !isIPv4 else { return description }
        let network = IPAddress(bytes: Array(bytes[0..<8]) + [UInt8](repeating: 0, count: 8)) ?? self
        return "\(network)/64"
    }

    /// The canonical text of a valid address, or nil when `text` is not one.
    public static func canonical(_ text: String) -> String? {
        IPAddress(text)?.description
    }

    /// The policy key for an address the edge reports: `policyKey` when it parses, else the text itself (bounded), so an
    /// odd value such as `unknown` is still counted rather than refused. An already-made key (`…/64`) maps to itself.
    public static func key(_ text: String) -> String {
        if let address = IPAddress(text) { return address.policyKey }
        if let range = CIDR(text), range.prefixLength == 64, !range.network.isIPv4 { return range.network.policyKey }
        return String(text.prefix(64))
    }
}
