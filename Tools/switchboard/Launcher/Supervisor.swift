import Dispatch
import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol

/// Starts Redis and every Switchboard process, restarts any that dies, and stops them all (edges first) on SIGINT/SIGTERM.
///
/// A local run behaves like the compose deployment: each process is on its own and comes back by itself when it crashes.
final class Supervisor: @unchecked Sendable {
    // Used from one task only; `@unchecked` because it holds ManagedProcess objects.
    let layout: Layout
    let edges: Int
    private var redis: ManagedProcess?
    private var services: [ManagedProcess] = []
    private var edgeProcesses: [ManagedProcess] = []

    init(layout: Layout, edges: Int) {
        self.layout = layout
        self.edges = edges
    }

    /// The order matters only for a quick green start: the scheduler binds the event sockets the others connect to.
    static let serviceOrder = ["scheduler", "auth", "menu", "signer"]

    /// What every child gets; a JWT secret generated into the run dir unless the operator gave one.
    func childEnvironment() throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let given = ["SWITCHBOARD_JWT_SECRET", "SWITCHBOARD_JWT_SECRET_FILE"].contains { !(environment[$0] ?? "").isEmpty }
        if !given { environment["SWITCHBOARD_JWT_SECRET_FILE"] = try JWTSecretFile.ensure(in: layout.runDirectory) }
        environment["SWITCHBOARD_RUN_DIR"] = layout.runDirectory
        environment["SWITCHBOARD_REDIS_URL"] = layout.redisURL
        if edges > 1 { environment["SWITCHBOARD_EDGE_REUSEPORT"] = "1" }
        if startsSignerSim { environment["SWITCHBOARD_SIGNER_UPSTREAM"] = "ws://127.0.0.1:\(layout.signerSimPort)/" }
        return environment
    }

    /// The e-port signing client stand-in runs beside the services unless `SWITCHBOARD_SIGNER_UPSTREAM` names a real one.
    var startsSignerSim: Bool {
        layout.config.environment["SWITCHBOARD_SIGNER_UPSTREAM"] == nil && FileManager.default.isExecutableFile(atPath: layout.binary("signer-sim"))
    }

    func start() async throws {
        try layout.prepare()
        if layout.externalRedisURL == nil {
            try await startRedis()
        }
        let environment = try childEnvironment()
        if startsSignerSim {
            let sim = managed(
                "signer-sim",
                executable: layout.binary("signer-sim"),
                arguments: ["--port", String(layout.signerSimPort), "--data-dir", "\(layout.runDirectory)/signer-sim"],
                environment: environment
            )
            try sim.start()
            services.append(sim)
        }
        for name in Self.serviceOrder {
            let process = managed(name, executable: layout.binary(name), environment: name == "auth" ? try authEnvironment(environment) : environment)
            try process.start()
            services.append(process)
        }
        if FileManager.default.isExecutableFile(atPath: layout.binary("answer-worker")) {
            let worker = managed("answer-worker", executable: layout.binary("answer-worker"), environment: environment)
            try worker.start()
            services.append(worker)
        }
        for index in 0..<edges {
            let name = edges == 1 ? "ws-edge" : "ws-edge-\(index + 1)"
            let process = managed(name, executable: layout.binary("ws-edge"), environment: environment)
            try process.start()
            edgeProcesses.append(process)
        }
    }

    /// Auth creates the first admin from these unless the operator set `SWITCHBOARD_ADMIN_PASSWORD` themselves.
    private func authEnvironment(_ base: [String: String]) throws -> [String: String] {
        guard base["SWITCHBOARD_ADMIN_PASSWORD"] == nil else { return base }
        var environment = base
        environment["SWITCHBOARD_ADMIN_USER"] = AdminPassword.user
        environment["SWITCHBOARD_ADMIN_PASSWORD"] = try AdminPassword.ensure(in: layout.runDirectory)
        return environment
    }

    /// `switchboardExecutable`: it calls `EarlySignals.hold()` first, so it is started with SIGTERM/SIGINT held for it.
    private func managed(
        _ name: String,
        executable: String,
        arguments: [String] = [],
        environment: [String: String],
        switchboardExecutable: Bool = true
    ) -> ManagedProcess {
        ManagedProcess(
            name: name,
            executable: executable,
            arguments: arguments,
            environment: environment,
            logPath: "\(layout.logs)/\(name).log",
            pidPath: layout.pidFile(name),
            holdingStopSignals: switchboardExecutable
        )
    }

    private func startRedis() async throws {
        let port = layout.localRedisPort
        if let holder = PortHolder.find(port: port) {
            throw LaunchError(
                "Redis port \(port) is already in use by \(holder). Stop it, set SWITCHBOARD_LOCAL_REDIS_PORT, or point SWITCHBOARD_REDIS_URL at a running Redis."
            )
        }
        guard let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first(where: FileManager.default.isExecutableFile) else {
            throw LaunchError("redis-server is not installed: run `make deps` (apt-get install redis-server)")
        }
        let process = managed(
            "redis",
            executable: binary,
            arguments: [
                "--port", String(port), "--bind", "127.0.0.1", "--dir", layout.redisData, "--daemonize", "no",
                "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes",
            ],
            environment: ProcessInfo.processInfo.environment,
            switchboardExecutable: false
        )
        try process.start()
        redis = process
        let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: port))
        defer { client.shutdown() }
        let end = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < end {
            if (try? await client.ping()) != nil { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LaunchError("redis-server did not start; see \(process.logPath)")
    }

    /// Restarts whatever died until a signal arrives, then stops everything.
    func supervise(until signals: AsyncStream<Int32>) async {
        let watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                if Task.isCancelled { break }
                for process in all where !process.isRunning {
                    let status = process.exitStatus ?? -1
                    print("switchboard: \(process.name) exited (status \(status)); restarting")
                    try? await Task.sleep(for: .milliseconds(500))
                    do { try process.restart() } catch { print("switchboard: cannot restart \(process.name): \(error)") }
                }
            }
        }
        for await signal in signals {
            print("\nswitchboard: got signal \(signal), stopping")
            break
        }
        watcher.cancel()
        _ = await watcher.value
        await stopAll()
    }

    var all: [ManagedProcess] { (redis.map { [$0] } ?? []) + services + edgeProcesses }

    var listing: [(name: String, pid: Int32?)] { all.map { ($0.name, $0.pid) } }

    func stopAll() async {
        for edge in edgeProcesses { await edge.stop() }
        await withTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { await service.stop() } }
        }
        await redis?.stop(grace: .seconds(20))
    }
}

/// SIGINT and SIGTERM as an async stream (the default handlers are replaced so the launcher can stop its children first).
enum SignalStream {
    /// Keeps the dispatch sources alive as long as the stream; `@unchecked` because it is written once, before sharing.
    private final class Sources: @unchecked Sendable {
        var all: [any DispatchSourceSignal] = []
    }

    static func make(_ signals: [Int32] = [SIGINT, SIGTERM]) -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = Sources()
        for number in signals {
            #if canImport(Darwin)
                signal(number, SIG_IGN)  // kqueue sees the signal alongside; on Linux libdispatch installs its own handler
            #endif
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            // A signal that came before the source listened (held by `EarlySignals`) is delivered now.
            source.setRegistrationHandler {
                if let early = EarlySignals.takeEarlySignal() { continuation.yield(early) }
            }
            source.resume()
            sources.all.append(source)
        }
        continuation.onTermination = { _ in sources.all.forEach { $0.cancel() } }
        return stream
    }
}
