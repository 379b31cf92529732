import Foundation

/// A secret the launcher keeps in the run dir (the admin password, the JWT secret): read back when present, otherwise
/// generated once and written with mode 0600 without following a symlink, so a restart of the run keeps it and nothing
/// fixed ever ships in the source.
enum PrivateRunFile {
    /// The file's trimmed content, creating the file with `generate()` when it is missing or empty.
    static func ensure(at path: String, generate: () -> String) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let value = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty {
                chmod(path, 0o600)
                return value
            }
        }
        let value = generate()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw LaunchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let line = Array("\(value)\n".utf8)
        guard write(descriptor, line, line.count) == line.count else {
            throw LaunchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return value
    }
}
