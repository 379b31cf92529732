import Bus
import Foundation
import Hummingbird
import ServiceKit
import SwitchboardProtocol

/// `GET /health`: every service's `sys.health` with its round-trip time, the edge itself, and Redis as the edge sees it.
/// 200 when everything answers, 503 naming what does not.
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
        async let redisHealth = RedisProbe.check(backends.redis)
        var services = await withTaskGroup(of: (String, ServiceLine).self) { group in
            for (name, client) in backends.clients {
                group.addTask { (name.rawValue, await probe(client)) }
            }
            var lines: [String: ServiceLine] = [:]
            for await (name, line) in group { lines[name] = line }
            return lines
        }
        let redis = await redisHealth
        services["ws-edge"] = ServiceLine(
            status: "up",
            latencyMs: 0,
            version: SwitchboardVersion.current,
            pid: getpid(),
            uptimeSeconds: startedAt.duration(to: .now).seconds,
            redisReachable: redis.reachable
        )
        let redisLine = RedisLine(status: redis.reachable ? "up" : "down", latencyMs: redis.latencyMs, error: redis.error)
        var failing = services.filter { $0.value.status != "up" }.map(\.key).sorted()
        if !redis.reachable { failing.append("redis") }
        return Report(
            status: failing.isEmpty ? "ok" : "degraded",
            edge: EdgeLine(version: SwitchboardVersion.current, pid: getpid(), uptimeSeconds: startedAt.duration(to: .now).seconds),
            services: services,
            redis: redisLine,
            failing: failing
        )
    }

    private func probe(_ client: RPCClient) async -> ServiceLine {
        let start = ContinuousClock.now
        do {
            let health = try await client.call(SystemHealth.self, NoParams(), timeout: timeout)
            return ServiceLine(
                status: "up",
                latencyMs: start.duration(to: .now).milliseconds,
                version: health.version,
                pid: health.pid,
                uptimeSeconds: health.uptimeSeconds,
                redisReachable: health.redis.reachable,
                details: health.details.isEmpty ? nil : health.details
            )
        } catch {
            return ServiceLine(status: "down", error: error.description)
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
