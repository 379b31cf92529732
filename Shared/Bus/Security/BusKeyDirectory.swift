import Foundation

/// The CURVE keys of one deployment, as files in one directory (`SWITCHBOARD_BUS_KEYS_DIR`, default `<run dir>/keys`):
///
///     servers/<service>.key   the service's pair (secret: only on the hosts that run it)
///     servers/<service>.pub   its public key (every host whose processes connect to it)
///     clients/<kind>.key      one pair per process kind (ws-edge, auth, menu, answer-worker, switchboard, …)
///     clients/<kind>.pub      the public keys a server's ZAP handler accepts: exactly the files present here
///
/// Files per key, not one bundle, so a multi-host deployment hands each host only the secrets it uses.
public struct BusKeyDirectory: Sendable {
    /// The services that bind sockets (the scheduler also binds the events and ingest endpoints).
    public static let servers = ["auth", "scheduler", "menu", "signer"]
    /// The process kinds that connect to a service.
    public static let clients = [
        "ws-edge", "auth", "menu", "scheduler", "signer", "answer-worker", "switchboard", "switchboard-chaos", "switchboard-bench",
    ]

    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func serverKeyPath(_ service: String) -> String { "\(path)/servers/\(service).key" }
    public func serverPublicPath(_ service: String) -> String { "\(path)/servers/\(service).pub" }
    public func clientKeyPath(_ kind: String) -> String { "\(path)/clients/\(kind).key" }
    public func clientPublicPath(_ kind: String) -> String { "\(path)/clients/\(kind).pub" }

    /// Whether the directory holds any key at all (then a missing file is an error, not a reason to run without CURVE).
    public var exists: Bool {
        FileManager.default.fileExists(atPath: "\(path)/servers") || FileManager.default.fileExists(atPath: "\(path)/clients")
    }

    /// The client public keys found under `clients/`, by Z85 text, with the kind each file names.
    public func allowedClients() -> [String: String] {
        let dir = "\(path)/clients"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var allowed: [String: String] = [:]
        for name in names where name.hasSuffix(".pub") {
            if let pair = try? BusKeyPair.read("\(dir)/\(name)") {
                allowed[pair.publicKey] = String(name.dropLast(4))
            }
        }
        return allowed
    }

    /// Creates every pair that is missing (existing ones are kept, so running it twice is harmless); returns the files written.
    /// The directories are 0700 and every file 0600.
    @discardableResult
    public func generateMissing(servers: [String] = Self.servers, clients: [String] = Self.clients) throws(BusError) -> [String] {
        for sub in ["", "/servers", "/clients"] {
            let dir = path + sub
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw BusError.keys("cannot create \(dir): \(error.localizedDescription)")
            }
            _ = chmod(dir, 0o700)
        }
        var written: [String] = []
        func ensure(keyPath: String, publicPath: String) throws(BusError) {
            let pair: BusKeyPair
            if FileManager.default.fileExists(atPath: keyPath) {
                pair = try BusKeyPair.read(keyPath)
            } else {
                pair = try BusKeyPair.generate()
                try pair.write(to: keyPath)
                written.append(keyPath)
            }
            if !FileManager.default.fileExists(atPath: publicPath) {
                try pair.publicOnly.write(to: publicPath)
                written.append(publicPath)
            }
        }
        for service in servers { try ensure(keyPath: serverKeyPath(service), publicPath: serverPublicPath(service)) }
        for kind in clients { try ensure(keyPath: clientKeyPath(kind), publicPath: clientPublicPath(kind)) }
        return written
    }
}
