import Foundation

/// An address range such as `10.0.0.0/8`, `127.0.0.1` (one address) or `fd00::/8`, for settings like
/// `SWITCHBOARD_TRUSTED_PROXIES`.
///
/// Host bits below the prefix are cleared when parsing (`10.1.2.3/8` is `10.0.0.0/8`), so two spellings of one range
/// compare equal. IPv4 ranges match IPv4-mapped IPv6 clients, since `IPAddress` stores those as IPv4.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `address` or `address/prefix`; nil when either part is invalid or the prefix is out of range.
    public init?(_ text: some StringProtocol) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let address = IPAddress(parts[0]) else { return nil }
        let width = address.bytes.count * 8
        var length = width
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
                value <= width
            else { return nil }
            length = value
        }
        guard let masked = IPAddress(bytes: Self.mask(address.bytes, length)) else { return nil }
        network = masked
        prefixLength = length
    }

    /// Whether `address` is inside this range (never across families).
    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && Self.mask(address.bytes, prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }

    /// A list separated by commas and/or spaces; an empty text is an empty list. Throws naming the first bad entry.
    public static func list(_ text: String) throws(Invalid) -> [CIDR] {
        var result: [CIDR] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }) {
            guard let range = CIDR(entry) else { throw Invalid(entry: String(entry.prefix(80))) }
            result.append(range)
        }
        return result
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let entry: String
        public var description: String { "\(entry) is not an IPv4 or IPv6 address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)" }
    }

    private static func mask(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        var result = bytes
        for index in result.indices {
            let bitsHere = min(8, max(0, length - index * 8))
            let keep: UInt8 = bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
            result[index] &= keep
        }
        return result
    }
}

extension [CIDR] {
    /// Whether any range contains `address`.
    public func contains(_ address: IPAddress) -> Bool {
        contains { $0.contains(address) }
    }
}
