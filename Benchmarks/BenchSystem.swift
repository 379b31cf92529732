import ClientKit
import Foundation
import OpenSSLCrypto
import ServiceKit

/// The processes a end-to-end benchmark drives: redis-server (when installed), signer-sim, the signer and the edge,
/// started from the built executables in a temporary run dir and stopped however the benchmark ends.
final class BenchSystem {
    let binaries: String
    let runDirectory: String
    let httpPort: Int
    let simPort: Int
    let redisPort: Int
    private(set) var publicKey: RSAPublicKey?
    private let processes: ProcessGroup
    /// A fresh JWT secret for this run: the edge and the signer refuse to start without one.
    private let jwtSecret = Hex.encode(SecureRandom.bytes(32), uppercase: false)

    init(binaries: String, runDirectory: String) throws {
        self.binaries = binaries
        self.runDirectory = runDirectory
        httpPort = try FreePort.allocate()
        simPort = try FreePort.allocate()
        redisPort = try FreePort.allocate()
        processes = try ProcessGroup(runDirectory: runDirectory)
        // redis-server when installed, not waited for: the signer runs without it, and the edge reconnects.
        if let redis = try? ProcessGroup.redisServer() {
            try processes.start(
                "redis", executable: redis,
                arguments: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", runDirectory],
                environment: ProcessInfo.processInfo.environment)
        }
    }

    private var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_RUN_DIR"] = runDirectory
        environment["SWITCHBOARD_REDIS_URL"] = "redis://127.0.0.1:\(redisPort)"
        environment["SWITCHBOARD_HTTP_HOST"] = "127.0.0.1"
        environment["SWITCHBOARD_HTTP_PORT"] = String(httpPort)
        environment["SWITCHBOARD_LOG_LEVEL"] = "warning"
        environment["SWITCHBOARD_SIGNER_UPSTREAM"] = "ws://127.0.0.1:\(simPort)/"
        environment["SWITCHBOARD_SIGNER_PROBE_SECONDS"] = "0"
        environment["SWITCHBOARD_JWT_SECRET"] = jwtSecret
        return environment
    }

    func startSim(latencyMs: Int, keyBits: Int, serial: Bool) async throws {
        await processes.stop("signer-sim")
        try start(
            "signer-sim",
            arguments: [
                "--port", String(simPort), "--data-dir", "\(runDirectory)/signer-sim", "--latency-ms", String(latencyMs),
                "--key-bits", String(keyBits), "--serial", serial ? "true" : "false",
            ]
        )
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            if let client = try? BlockingHTTPClient(port: simPort), let answer = try? client.request("GET", "/public.pem"), answer.status == 200 {
                publicKey = try RSAPublicKey(pem: String(decoding: answer.body, as: UTF8.self))
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BlockingHTTPClient.Failure(description: "signer-sim did not start; see \(runDirectory)/signer-sim.log")
    }

    func startSigner(pool: Int, multiplex: Bool, inFlight: Int) async throws {
        await processes.stop("signer")
        try start(
            "signer",
            environment: [
                "SWITCHBOARD_SIGNER_POOL_SIZE": String(pool),
                "SWITCHBOARD_SIGNER_MULTIPLEX": multiplex ? "1" : "0",
                "SWITCHBOARD_SIGNER_MULTIPLEX_INFLIGHT": String(inFlight),
            ]
        )
    }

    func startEdgeIfNeeded() async throws {
        if processes.process("ws-edge")?.isRunning == true { return }
        try start("ws-edge")
    }

    /// Polls `/getCode` until it answers 200 (the signer is up and the edge's bus has reconnected).
    func waitForGetCode(body: [UInt8]) throws {
        let end = ContinuousClock.now + .seconds(30)
        var last = "no answer"
        while ContinuousClock.now < end {
            if let client = try? BlockingHTTPClient(port: httpPort) {
                if let answer = try? client.request("POST", "/getCode", body: body) {
                    if answer.status == 200 { return }
                    last = "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))"
                }
            }
            usleep(100_000)
        }
        throw BlockingHTTPClient.Failure(description: "/getCode never answered 200; last: \(last); logs in \(runDirectory)")
    }

    private func start(_ name: String, arguments: [String] = [], environment overrides: [String: String] = [:]) throws {
        var environment = self.environment
        for (key, value) in overrides { environment[key] = value }
        try processes.start(name, executable: "\(binaries)/\(name)", arguments: arguments, environment: environment)
    }

    func stopAll() {
        processes.stopAll()
    }
}
