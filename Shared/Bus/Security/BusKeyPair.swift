import CZMQ
import Foundation

/// One CURVE key pair (or only its public half), as ZeroMQ's Z85 text and raw bytes.
///
/// Files hold `public=<z85>` and, for a pair, `secret=<z85>`: plain text an operator can read, copy and compare, one
/// file per key so that each host gets only the secrets it needs.
public struct BusKeyPair: Sendable, Equatable {
    /// 40 Z85 characters.
    public let publicKey: String
    /// 40 Z85 characters; nil for a `.pub` file.
    public let secretKey: String?

    public init(publicKey: String, secretKey: String?) throws(BusError) {
        guard Self.decode(publicKey) != nil else { throw BusError.keys("not a Z85 CURVE public key: \(publicKey.prefix(40))") }
        if let secretKey, Self.decode(secretKey) == nil { throw BusError.keys("not a Z85 CURVE secret key") }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh pair from libzmq (libsodium underneath).
    public static func generate() throws(BusError) -> BusKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else {
            throw BusError.keys("zmq_curve_keypair: \(zmqErrorText()) (is libzmq built with CURVE?)")
        }
        let publicKey = publicText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let secretKey = secretText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return try BusKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// Whether libzmq here can do CURVE at all.
    public static var isSupported: Bool { zmq_has("curve") != 0 }

    public var publicBytes: [UInt8] { Self.decode(publicKey) ?? [] }
    public var secretBytes: [UInt8]? { secretKey.flatMap(Self.decode) }

    /// 32 raw bytes from 40 Z85 characters, or nil.
    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 40 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        let ok = text.withCString { zmq_z85_decode(&bytes, $0) != nil }
        return ok ? bytes : nil
    }

    /// 40 Z85 characters from 32 raw bytes (a ZAP request carries the client key raw).
    static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, bytes, 32) != nil else { return nil }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    // MARK: Files

    /// The file text: the public line, and the secret line for a pair.
    public var fileText: String {
        "public=\(publicKey)\n" + (secretKey.map { "secret=\($0)\n" } ?? "")
    }

    /// This pair without its secret, for a `.pub` file.
    public var publicOnly: BusKeyPair { BusKeyPair(unchecked: publicKey) }

    private init(unchecked publicKey: String) {
        self.publicKey = publicKey
        secretKey = nil
    }

    /// Reads a `.key` or `.pub` file.
    public static func read(_ path: String) throws(BusError) -> BusKeyPair {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BusError.keys("cannot read \(path): \(error.localizedDescription)")
        }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                fields[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        guard let publicKey = fields["public"] else { throw BusError.keys("\(path) has no public= line") }
        do {
            return try BusKeyPair(publicKey: publicKey, secretKey: fields["secret"])
        } catch {
            throw BusError.keys("\(path): \(error)")
        }
    }

    /// Writes the file with mode 0600 (created so, never widened afterwards).
    public func write(to path: String) throws(BusError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw BusError.keys("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fchmod(fd, 0o600)
        let bytes = Array(fileText.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw BusError.keys("short write to \(path)") }
    }
}
