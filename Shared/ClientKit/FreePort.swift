#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands out TCP ports that were free a moment ago, for servers started by tests.
///
/// Binding port 0 lets the kernel pick an unused port, so parallel test runs do not collide on fixed
/// numbers. The port is released before it is returned, so another process could in principle take it
/// in between; the kernel does not hand the same ephemeral port out again soon, which makes that rare.
public enum FreePort {
    /// A free TCP port on 127.0.0.1.
    public static func allocate() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Error(operation: "socket", code: errno) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Error(operation: "bind", code: errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Error(operation: "getsockname", code: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A socket call failed while looking for a port.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let operation: String
        public let code: Int32
        public var description: String { "FreePort: \(operation) failed: \(String(cString: strerror(code)))" }
    }
}
