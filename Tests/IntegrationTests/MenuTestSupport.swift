import Foundation
import OpenSSLCrypto
import TestSupport

/// The menu API of a running cluster, as an admin, a viewer or nobody calls it, with the checks most menu tests repeat.
struct MenuAPI: Sendable {
    let cluster: Cluster
    let admin: String
    let viewer: String

    static func start(_ cluster: Cluster) async throws -> MenuAPI {
        MenuAPI(
            cluster: cluster,
            admin: try await TestTokens.access("root", roles: ["admin"]),
            viewer: try await TestTokens.access("vera", roles: ["viewer"])
        )
    }

    static func bearer(_ token: String?) -> [String: String] {
        token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
    }

    /// `PUT /api/menu/{key}` with a JSON object (or raw text) as `token`.
    func put(_ key: String, _ body: [String: Any], as token: String?) async throws -> Cluster.HTTPAnswer {
        try await putRaw(key, String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self), as: token)
    }

    func putRaw(_ key: String, _ body: String, as token: String?) async throws -> Cluster.HTTPAnswer {
        var headers = Self.bearer(token)
        headers["Content-Type"] = "application/json"
        return try await cluster.http("PUT", "/api/menu/\(key)", body: Data(body.utf8), headers: headers)
    }

    func delete(_ key: String, as token: String?, query: String = "") async throws -> Cluster.HTTPAnswer {
        try await cluster.http("DELETE", "/api/menu/\(key)\(query)", headers: Self.bearer(token))
    }

    /// `GET /api/menu/version`, which must answer 200.
    func version(headers: [String: String] = [:]) async throws -> VersionInfo {
        let answer = try await cluster.http("GET", "/api/menu/version", headers: headers)
        guard answer.status == 200 else { throw HarnessError("GET /api/menu/version answered \(answer.status): \(answer.text)") }
        return try VersionInfo(answer)
    }

    func tree(as token: String?, query: String = "") async throws -> [[String: Any]] {
        let answer = try await cluster.http("GET", "/api/menu\(query)", headers: Self.bearer(token))
        guard answer.status == 200 else { throw HarnessError("GET /api/menu answered \(answer.status): \(answer.text)") }
        return try answer.json()["menus"] as? [[String: Any]] ?? []
    }

    /// The body and ETag of `GET /api/menu/version`.
    struct VersionInfo {
        let version: Int
        let timestamp: Int
        let checksum: String
        let changes: [[String: Any]]
        let author: String
        let description: String
        let etag: String?
        let raw: [String: Any]

        init(_ answer: Cluster.HTTPAnswer) throws {
            raw = try answer.json()
            version = raw["version"] as? Int ?? -1
            timestamp = raw["timestamp"] as? Int ?? -1
            checksum = raw["checksum"] as? String ?? ""
            changes = raw["changes"] as? [[String: Any]] ?? []
            author = raw["author"] as? String ?? ""
            description = raw["description"] as? String ?? ""
            etag = answer.headers["etag"]
        }

        /// What must stay equal when nothing changed.
        var identity: String { "\(version)|\(checksum)|\(changes.count)|\(timestamp)" }
    }

    static func md5(_ text: String) -> String {
        Hex.encode(Digest.md5(Array(text.utf8)))
    }

    /// Keys of a tree, depth first, as `parent>child` paths.
    static func paths(_ nodes: [[String: Any]], prefix: String = "") -> [String] {
        nodes.flatMap { node -> [String] in
            let key = "\(prefix)\(node["key"] as? String ?? "?")"
            return [key] + paths(node["children"] as? [[String: Any]] ?? [], prefix: "\(key)>")
        }
    }
}

/// Median and 99th percentile of latencies in ms, for the push measurements.
enum LatencyStats {
    static func median(_ samples: [Double]) -> Double { percentile(samples, 0.5) }

    static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return .nan }
        let index = min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))
        return sorted[index]
    }
}
