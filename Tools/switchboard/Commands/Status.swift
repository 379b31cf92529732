import ArgumentParser
import Bus
import Foundation
import Redis
import ServiceHost
import ServiceKit
import SwitchboardProtocol

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every process with its PID, endpoint and health, and the Redis address.")

    func run() async throws {
        let layout = Layout()
        var rows: [[String]] = [["PROCESS", "PID", "ENDPOINT", "HEALTH"]]

        let redis = RedisClient(configuration: try RedisConfiguration(url: layout.redisURL))
        let redisHealth = await RedisProbe.check(redis)
        redis.shutdown()
        rows.append([
            "redis", pidText(ProcessTools.readPID(layout.pidFile("redis"))), layout.redisURL,
            redisHealth.reachable ? "up (\(redisHealth.latencyMs ?? 0) ms)" : "down: \(redisHealth.error ?? "")",
        ])

        for service in ServiceName.allCases {
            let endpoint = layout.config.endpoint(for: service)
            let pid = RunDirLock.holder(service: service.rawValue, runDirectory: layout.runDirectory)
            rows.append([service.rawValue, pidText(pid), endpoint, await ServiceProbe.describe(service, endpoint: endpoint)])
        }

        let edgePIDs = ((try? FileManager.default.contentsOfDirectory(atPath: layout.pids)) ?? [])
            .filter { $0.hasPrefix("ws-edge") }.sorted()
        let answer = await HealthClient.fetch(layout.healthURL, timeout: 2)
        let edgeHealth = answer.map { $0.status == 200 ? "up, all services green" : "up, /health \($0.status)" } ?? "down"
        if edgePIDs.isEmpty {
            rows.append(["ws-edge", "-", "http://127.0.0.1:\(layout.httpPort)", edgeHealth])
        }
        for file in edgePIDs {
            let pid = ProcessTools.readPID("\(layout.pids)/\(file)").flatMap { ProcessTools.isAlive($0) ? $0 : nil }
            rows.append([String(file.dropLast(4)), pidText(pid), "http://127.0.0.1:\(layout.httpPort)", pid == nil ? "down" : edgeHealth])
        }
        print(Table.render(rows))
        print("run dir: \(layout.runDirectory)")
    }

    private func pidText(_ pid: Int32?) -> String {
        guard let pid, ProcessTools.isAlive(pid) else { return "-" }
        return String(pid)
    }
}

/// Asks one service for `sys.health` directly over the bus (so `status` works while the edge is down).
enum ServiceProbe {
    static func health(_ service: ServiceName, endpoint: String, timeout: Duration = .seconds(2)) async -> Result<HealthReport, RPCError> {
        do {
            let client = try RPCClient(service: service.rawValue, endpoint: endpoint)
            defer { client.shutdown() }
            _ = await client.waitForConnection(timeout: timeout)
            return .success(try await client.call(SystemHealth.self, NoParams(), timeout: timeout))
        } catch let error as RPCError {
            return .failure(error)
        } catch {
            return .failure(.serviceUnavailable(service.rawValue, "\(error)"))
        }
    }

    static func describe(_ service: ServiceName, endpoint: String) async -> String {
        switch await health(service, endpoint: endpoint) {
        case .success(let report):
            let redis = report.redis.reachable ? "redis ok" : "redis DOWN"
            return "up (v\(report.version), uptime \(Int(report.uptimeSeconds)) s, \(redis))"
        case .failure(let error):
            return "down: \(error.message)"
        }
    }
}

enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
