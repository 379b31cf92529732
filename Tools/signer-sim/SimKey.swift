import Foundation
import OpenSSLCrypto

/// The simulator's signing key: generated at first start into `<data dir>/key.pem`, its public half in `public.pem`.
///
/// A key that survives restarts lets tests and operators verify signatures with the same `public.pem` across runs.
enum SimKey {
    static func loadOrCreate(directory: String, bits: Int) throws -> RSAPrivateKey {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyPath = "\(directory)/key.pem"
        let publicPath = "\(directory)/public.pem"
        let key: RSAPrivateKey
        if let pem = try? String(contentsOfFile: keyPath, encoding: .utf8) {
            key = try RSAPrivateKey(pem: pem)
        } else {
            key = try RSAPrivateKey.generate(bits: bits)
            let temporary = "\(keyPath).\(getpid()).tmp"
            guard manager.createFile(atPath: temporary, contents: Data(key.pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
            }
            if rename(temporary, keyPath) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: keyPath])
            }
        }
        try key.publicKeyPEM.write(toFile: publicPath, atomically: true, encoding: .utf8)
        return key
    }
}
