import Foundation
import ServiceKit

/// Turns "address already in use" into a startup error that names the port and, where `/proc` shows it, its holder.
enum ListenCheck {
    /// Binds and releases the port once; fails when another process listens on it.
    /// With SO_REUSEPORT edges share the port, so the check is skipped.
    static func ensureFree(host: String, port: Int, reusePort: Bool) -> String? {
        guard !reusePort else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc != 0, errno == EADDRINUSE else { return nil }
        return busyMessage(port: port)
    }

    static func busyMessage(port: Int) -> String {
        let holder = PortHolder.find(port: port).map { " by \($0)" } ?? ""
        return
            "port \(port) is already in use\(holder); set SWITCHBOARD_HTTP_PORT to another port, or SWITCHBOARD_EDGE_REUSEPORT=1 to share it with other edges"
    }
}
