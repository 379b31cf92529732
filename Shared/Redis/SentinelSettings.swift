import Foundation

/// Where the Redis Sentinels are and which master they watch.
///
/// With Sentinel the master's address is not configuration but a fact that changes on failover, so connections
/// resolve it on every (re)connect (`SENTINEL get-master-addr-by-name`) instead of keeping a fixed host.
public struct SentinelSettings: Sendable, Equatable {
    /// One Sentinel's address.
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The Sentinels, asked in order until one answers.
    public var sentinels: [Address]
    /// The master's name in the Sentinels' configuration (`sentinel monitor <name> …`).
    public var masterName: String
    /// Bound on each question to one Sentinel, kept short so a dead Sentinel does not stall a failover.
    public var queryTimeout: Duration = .milliseconds(500)

    public init(sentinels: [Address], masterName: String) {
        self.sentinels = sentinels
        self.masterName = masterName
    }

    /// Parses `host:port,host:port,…` (`[v6]:port` allowed; the port defaults to 26379).
    public init(list: String, masterName: String) throws(RedisConfiguration.URLError) {
        var addresses: [Address] = []
        for item in list.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            guard
                let configuration = try? RedisConfiguration(
                    url: "redis://" + entry + (entry.contains("]:") || (!entry.hasPrefix("[") && entry.contains(":")) ? "" : ":26379"))
            else {
                throw RedisConfiguration.URLError(url: entry, reason: "sentinel must be host:port")
            }
            addresses.append(Address(host: configuration.host, port: configuration.port))
        }
        guard !addresses.isEmpty else { throw RedisConfiguration.URLError(url: list, reason: "no sentinel address") }
        let name = masterName.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw RedisConfiguration.URLError(url: masterName, reason: "master name must be letters, digits, - _ .")
        }
        self.init(sentinels: addresses, masterName: name)
    }
}
