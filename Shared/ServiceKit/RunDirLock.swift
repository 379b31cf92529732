import Foundation

/// The exclusive `flock` on `<run dir>/<service>.lock` that a service takes before binding its sockets.
///
/// libzmq unlinks an `ipc://` path right before binding it, so a second instance would silently steal the first one's
/// socket. The lock turns that into a clear refusal naming the PID that holds it. The kernel drops the lock when the
/// process dies, even by `kill -9`, so a crash never leaves a stale lock behind.
public final class RunDirLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public enum Failure: Error, CustomStringConvertible {
        case heldByAnother(service: String, pid: Int32?, path: String)
        case cannotOpen(path: String, reason: String)

        public var description: String {
            switch self {
            case .heldByAnother(let service, let pid, let path):
                let holder = pid.map { "process \($0)" } ?? "another process"
                return
                    "\(service) is already running: \(holder) holds \(path). Stop it first (switchboard down, or kill \(pid.map(String.init) ?? "it"))."
            case .cannotOpen(let path, let reason):
                return "cannot open lock file \(path): \(reason)"
            }
        }
    }

    /// Takes the lock for `service` in `runDirectory`, creating the directory if needed, and writes our PID into the file.
    public init(service: String, runDirectory: String) throws(Failure) {
        // 0700 when we create it: the ipc:// sockets in it are unauthenticated, so only this user may reach them.
        try? FileManager.default.createDirectory(
            atPath: runDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = "\(runDirectory)/\(service).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPID(fd)
            Foundation.close(fd)
            throw .heldByAnother(service: service, pid: holder, path: path)
        }
        _ = ftruncate(fd, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.descriptor = fd
    }

    /// The PID written in a lock file if a live process holds its lock, nil otherwise. Used by `switchboard status`.
    public static func holder(service: String, runDirectory: String) -> Int32? {
        let path = "\(runDirectory)/\(service).lock"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Foundation.close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return readPID(fd)
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    deinit {
        Foundation.close(descriptor)
    }
}
