import Foundation
import Logging
import SwitchboardProtocol

/// Every process's configuration, read from `SWITCHBOARD_*` environment variables with development defaults.
///
/// One type for all processes keeps the names and defaults in one place, so the launcher, compose and the services agree.
public struct SwitchboardConfig: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// `SWITCHBOARD_ENV`: `development` (default) or `production`, where unsafe defaults refuse to start.
    public enum Mode: String, Sendable, CaseIterable {
        case development
        case production
    }

    /// A setting no process may start with.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// `SWITCHBOARD_ENV` parsed strictly: `production` or `development`, case-insensitive and trimmed; unset or empty is
    /// development. Anything else (`prod`, `staging`) is an error rather than a quiet fallback to development defaults.
    public func mode() throws(Invalid) -> Mode {
        guard let raw = environment["SWITCHBOARD_ENV"] else { return .development }
        let word = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if word.isEmpty { return .development }
        guard let mode = Mode(rawValue: word) else {
            throw Invalid(description: "SWITCHBOARD_ENV must be `production` or `development`, not \"\(raw)\"")
        }
        return mode
    }

    /// True in production, and also for an unparseable `SWITCHBOARD_ENV`: a check that asks fails closed, while
    /// `validate()` (run by every process at start) refuses the value outright.
    public var isProduction: Bool { ((try? mode()) ?? .production) == .production }

    /// The checks every process runs before binding anything.
    public func validate() throws(Invalid) {
        _ = try mode()
    }

    /// The configuration of this process, or a clear message on stderr and exit status 1.
    public static func loadOrExit(service: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> SwitchboardConfig {
        let config = SwitchboardConfig(environment: environment)
        do {
            try config.validate()
        } catch {
            FileHandle.standardError.write(Data("\(service) cannot start: \(error.description)\n".utf8))
            exit(1)
        }
        return config
    }

    /// `SWITCHBOARD_RUN_DIR`: locks and `ipc://` sockets live here (default `./.run`), always made absolute.
    public var runDirectory: String {
        let raw = string("SWITCHBOARD_RUN_DIR", default: ".run")
        let url = URL(fileURLWithPath: raw, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }

    /// `SWITCHBOARD_REDIS_URL` (default `redis://127.0.0.1:6379`).
    public var redisURL: String { string("SWITCHBOARD_REDIS_URL", default: "redis://127.0.0.1:6379") }

    /// The RPC endpoint of a service: `SWITCHBOARD_<NAME>_ENDPOINT`, else `ipc://<run dir>/<name>.sock`.
    public func endpoint(for service: ServiceName) -> String {
        endpoint(named: service.rawValue)
    }

    /// The scheduler's XPUB endpoint the edges subscribe to.
    public var eventsEndpoint: String { endpoint(named: "events") }
    /// The scheduler's PULL endpoint the edges and menu push to.
    public var ingestEndpoint: String { endpoint(named: "ingest") }

    /// `SWITCHBOARD_HTTP_HOST`: loopback unless set, so a local run is not reachable from the network by accident
    /// (compose and the image set `0.0.0.0`).
    public var httpHost: String { string("SWITCHBOARD_HTTP_HOST", default: "127.0.0.1") }
    public var httpPort: Int { int("SWITCHBOARD_HTTP_PORT", default: 6005) }
    /// `SWITCHBOARD_EDGE_REUSEPORT=1` lets several edges share the HTTP port.
    public var edgeReusePort: Bool { bool("SWITCHBOARD_EDGE_REUSEPORT", default: false) }

    public var logLevel: Logger.Level {
        Logger.Level(rawValue: string("SWITCHBOARD_LOG_LEVEL", default: "info").lowercased()) ?? .info
    }

    public func string(_ key: String, default value: String) -> String {
        guard let raw = environment[key], !raw.isEmpty else { return value }
        return raw
    }

    public func int(_ key: String, default value: Int) -> Int {
        environment[key].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? value
    }

    public func double(_ key: String, default value: Double) -> Double {
        environment[key].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? value
    }

    public func bool(_ key: String, default value: Bool) -> Bool {
        switch environment[key]?.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: value
        }
    }

    private func endpoint(named name: String) -> String {
        string("SWITCHBOARD_\(name.uppercased())_ENDPOINT", default: "ipc://\(runDirectory)/\(name).sock")
    }
}
