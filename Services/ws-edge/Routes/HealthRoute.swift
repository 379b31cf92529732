import Bus
import Foundation
import Hummingbird
import ServiceKit
import SwitchboardProtocol

/// `GET /health`: every service's `sys.health` with its round-trip time, the edge itself, and Redis as the services see
/// it (each measures its own Redis connection in its `sys.health`; the edge has none). 200 when everything answers, 503
/// naming what does not.
///
/// The details (PIDs, versions, uptimes, the services' own details such as the signer's upstream and cert number or
/// auth's KDF cost and limits, error texts) are for admins and loopback callers (DESIGN.md §9): anyone else gets only
/// the status word and the names of what is failing, which is what a balancer's health check needs.
struct HealthRoute: Sendable {
    let backends: Backends
    let authenticator: Authenticator
    let startedAt: ContinuousClock.Instant
    /// How long one service may take to answer before it counts as down.
    let timeout: Duration

    struct ServiceLine: Codable, Sendable {
        var status: String
        var latencyMs: Double?
        var version: String?
        var pid: Int32?
        var uptimeSeconds: Double?
        /// For a service, its own Redis connection; for the edge (which has none), Redis as the services see it.
        var redisReachable: Bool?
        var details: [String: String]?
        var error: String?
    }

    struct RedisLine: Codable, Sendable {
        var status: String
        var latencyMs: Double?
        var error: String?
    }

    struct EdgeLine: Codable, Sendable {
        var version: String
        var pid: Int32
        var uptimeSeconds: Double
    }

    struct Report: Codable, Sendable {
        var status: String
        var edge: EdgeLine
        var services: [String: ServiceLine]
        var redis: RedisLine
        var failing: [String]
    }

    /// What a caller without an admin token and not on loopback sees.
    struct PublicReport: Codable, Sendable {
        var status: String
        var failing: [String]
    }

    func report() async -> Report {
        var redisByService: [String: RedisHealth] = [:]
        var services = await withTaskGroup(of: (String, ServiceLine, RedisHealth?).self) { group in
            for (name, client) in backends.clients {
                group.addTask {
                    let (line, redis) = await probe(client)
                    return (name.rawValue, line, redis)
                }
            }
            var lines: [String: ServiceLine] = [:]
            for await (name, line, redis) in group {
                lines[name] = line
                redisByService[name] = redis
            }
            return lines
        }
        let redisLine = Self.redisLine(redisByService)
        services["ws-edge"] = ServiceLine(
            status: "up",
            latencyMs: 0,
            version: SwitchboardVersion.current,
            pid: getpid(),
            uptimeSeconds: startedAt.duration(to: .now).seconds,
            redisReachable: redisLine.status == "unknown" ? nil : redisLine.status == "up"
        )
        var failing = services.filter { $0.value.status != "up" }.map(\.key).sorted()
        if redisLine.status == "down" { failing.append("redis") }
        return Report(
            status: failing.isEmpty ? "ok" : "degraded",
            edge: EdgeLine(version: SwitchboardVersion.current, pid: getpid(), uptimeSeconds: startedAt.duration(to: .now).seconds),
            services: services,
            redis: redisLine,
            failing: failing
        )
    }

    /// Redis as the services that answered see it: down when any of them cannot reach it (naming which), up with the
    /// slowest latency otherwise, unknown when none answered (they are failing themselves then).
    static func redisLine(_ byService: [String: RedisHealth]) -> RedisLine {
        guard !byService.isEmpty else { return RedisLine(status: "unknown", error: "no service answered sys.health") }
        let unreachable = byService.filter { !$0.value.reachable }.sorted { $0.key < $1.key }
        if let first = unreachable.first {
            let names = unreachable.map(\.key).joined(separator: ", ")
            return RedisLine(status: "down", error: "unreachable from \(names): \(first.value.error ?? "no reason given")")
        }
        return RedisLine(status: "up", latencyMs: byService.values.compactMap(\.latencyMs).max())
    }

    private func probe(_ client: RPCClient) async -> (ServiceLine, RedisHealth?) {
        let start = ContinuousClock.now
        do {
            let health = try await client.call(SystemHealth.self, NoParams(), timeout: timeout)
            let line = ServiceLine(
                status: "up",
                latencyMs: start.duration(to: .now).milliseconds,
                version: health.version,
                pid: health.pid,
                uptimeSeconds: health.uptimeSeconds,
                redisReachable: health.redis.reachable,
                details: health.details.isEmpty ? nil : health.details
            )
            return (line, health.redis)
        } catch {
            return (ServiceLine(status: "down", error: error.description), nil)
        }
    }

    func register(on router: Router<EdgeRequestContext>) {
        router.get("health") { request, context -> Response in
            let report = await report()
            let status: HTTPResponse.Status = report.failing.isEmpty ? .ok : .serviceUnavailable
            guard await authenticator.maySeeDetails(request, context: context) else {
                return JSONResponse.make(PublicReport(status: report.status, failing: report.failing), status: status)
            }
            return JSONResponse.make(report, status: status)
        }
    }
}
