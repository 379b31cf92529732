import ArgumentParser
import Foundation
import OpenSSLCrypto
import ServiceKit
import Synchronization

/// `/getCode` end to end — HTTP into the edge, the bus to the signer, WebSocket to signer-sim — against the design it
/// replaces: one lock on one upstream connection, at most 1/L requests/s for an upstream that takes L per request.
///
/// The sim answers one request at a time per connection after L, like a card reader, so the bridge can at best reach
/// pool/L (or in-flight/L in multiplex mode); the report shows how close it gets and what it adds over L.
struct GetCodeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getcode",
        abstract: "POST /getCode requests/s and p50/p99 through edge → signer → signer-sim, per pool size and in multiplex mode."
    )

    @Option(help: "Concurrent HTTP clients (keep-alive connections).") var clients = 64
    @Option(help: "signer-sim latency per request (L), in milliseconds.") var latencyMs = 20
    @Option(parsing: .upToNextOption, help: "Pool sizes to measure (serial connections).") var pools: [Int] = [1, 4, 16, 32]
    @Option(help: "Requests in flight on one multiplexed connection (0 skips multiplex).") var multiplexInFlight = 32
    @Option(help: "Seconds per measured run.") var seconds = 3.0
    @Option(help: "Runs per configuration; the median is reported.") var runs = 3
    @Option(help: "RSA key size of the sim (the card reader signs in hardware; a small key keeps the sim's CPU out of the way).")
    var keyBits = 1024
    @Option(help: "Directory of the built executables (default: next to this one).") var binDir: String?

    struct Scenario {
        let name: String
        let pool: Int
        let multiplex: Bool
        let inFlight: Int
        var capacity: Int { multiplex ? inFlight : pool }
    }

    struct RunResult {
        var requestsPerSecond: Double
        var p50: Double
        var p99: Double
        var errors: Int
        /// Server CPU (user + system) per answered request, in microseconds.
        var edgeMicros: Double
        var signerMicros: Double
    }

    func run() async throws {
        // The edge refuses to start without a JWT secret, and the per-IP /getCode limit would throttle one benchmark host.
        if ProcessInfo.processInfo.environment["SWITCHBOARD_JWT_SECRET"] == nil {
            setenv("SWITCHBOARD_JWT_SECRET", "getcode-bench-\(UUID().uuidString)", 1)
        }
        setenv("SWITCHBOARD_GETCODE_RATE_PER_SECOND", "0", 1)
        let binaries = binDir ?? Bundle.main.executableURL!.deletingLastPathComponent().path
        let runDirectory = "/tmp/sbbench-getcode-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        let system = try BenchSystem(binaries: binaries, runDirectory: runDirectory)
        defer {
            system.stopAll()
            try? FileManager.default.removeItem(atPath: runDirectory)
        }
        let latency = Double(latencyMs) / 1000
        var scenarios = pools.map { Scenario(name: "pool \($0)", pool: $0, multiplex: false, inFlight: 1) }
        if multiplexInFlight > 0 {
            scenarios.append(Scenario(name: "multiplex \(multiplexInFlight)×1", pool: 1, multiplex: true, inFlight: multiplexInFlight))
        }
        print("getcode: \(clients) keep-alive clients → ws-edge → signer → signer-sim (L = \(latencyMs) ms, serial per connection)")
        print("         \(runs) runs × \(format(seconds, 1)) s each; seed design (one lock, one connection) ≤ \(format(1 / latency)) req/s")
        print("scenario         req/s (min–max)         ideal   of ideal  × seed   p50 ms   p99 ms   p50 − L  edge µs  signer µs  errors")
        let bodies = (0..<clients).map { index in
            let str = "bench client \(index) " + String(repeating: "x", count: 64)
            let plain = "{\"str\":\"\(str)\",\"pwdstr\":\"88888888\"}"
            return (
                str,
                Array(Hex.encode(try! AES.encrypt(Array(plain.utf8), key: AES.mysqlFoldedKey("1234567887654321"), mode: .ecb), uppercase: true).utf8)
            )
        }
        var simMultiplex: Bool?
        for scenario in scenarios {
            if simMultiplex != scenario.multiplex {
                try await system.startSim(latencyMs: latencyMs, keyBits: keyBits, serial: !scenario.multiplex)
                simMultiplex = scenario.multiplex
            }
            try await system.startSigner(pool: scenario.pool, multiplex: scenario.multiplex, inFlight: scenario.inFlight)
            try await system.startEdgeIfNeeded()
            try system.waitForGetCode(body: bodies[0].1)
            _ = measure(port: system.httpPort, bodies: bodies, seconds: 1, publicKey: nil)  // warm-up
            var rates = Samples()
            var p50s = Samples()
            var p99s = Samples()
            var edgeCPU = Samples()
            var signerCPU = Samples()
            var errors = 0
            for _ in 0..<runs {
                let result = measure(port: system.httpPort, bodies: bodies, seconds: seconds, publicKey: system.publicKey)
                rates.add(result.requestsPerSecond)
                p50s.add(result.p50)
                p99s.add(result.p99)
                edgeCPU.add(result.edgeMicros)
                signerCPU.add(result.signerMicros)
                errors += result.errors
            }
            let ideal = Double(min(scenario.capacity, clients)) / latency
            let median = rates.median
            print(
                [
                    scenario.name.padding(toLength: 16, withPad: " ", startingAt: 0),
                    "\(format(median)) (\(format(rates.min))–\(format(rates.max)))".padding(toLength: 22, withPad: " ", startingAt: 0),
                    (latency > 0 ? format(ideal) : "—").padding(toLength: 7, withPad: " ", startingAt: 0),
                    (latency > 0 ? "\(format(100 * median / ideal))%" : "—").padding(toLength: 9, withPad: " ", startingAt: 0),
                    (latency > 0 ? "×\(format(median * latency, 1))" : "—").padding(toLength: 8, withPad: " ", startingAt: 0),
                    format(p50s.median * 1000, 2).padding(toLength: 8, withPad: " ", startingAt: 0),
                    format(p99s.median * 1000, 2).padding(toLength: 8, withPad: " ", startingAt: 0),
                    format((p50s.median - latency) * 1000, 2).padding(toLength: 8, withPad: " ", startingAt: 0),
                    format(edgeCPU.median).padding(toLength: 8, withPad: " ", startingAt: 0),
                    format(signerCPU.median).padding(toLength: 10, withPad: " ", startingAt: 0),
                    String(errors),
                ].joined(separator: " ")
            )
        }
        // The bridge's own cost: one client, so no request ever waits for a connection.
        try await system.startSim(latencyMs: latencyMs, keyBits: keyBits, serial: true)
        try await system.startSigner(pool: 4, multiplex: false, inFlight: 1)
        try system.waitForGetCode(body: bodies[0].1)
        var single = Samples()
        var singleP99 = Samples()
        for _ in 0..<runs {
            let result = measure(port: system.httpPort, bodies: Array(bodies.prefix(1)), seconds: seconds, publicKey: system.publicKey)
            single.add(result.p50)
            singleP99.add(result.p99)
        }
        print(
            "overhead: 1 client, pool 4: p50 \(format(single.median * 1000, 2)) ms, p99 \(format(singleP99.median * 1000, 2)) ms, "
                + "p50 − L = \(format((single.median - latency) * 1000, 2)) ms (HTTP + bus + WebSocket + AES + the sim's timer)"
        )
        print("ideal = min(capacity, clients)/L; × seed = req/s ÷ (1/L); p50 − L = what the bridge adds when it is not queueing")
        print("edge µs, signer µs = CPU (user + system, /proc/PID/stat) per answered request, median of the runs")
        print("(for pool < clients, p50 includes queueing for a free connection: clients/capacity × L)")
    }

    /// `clients` threads, each on its own keep-alive connection, for `seconds`; every 16th answer is decrypted and its
    /// signature verified against the sim's key after the clock stops, so cross-talk would show as errors.
    private func measure(port: Int, bodies: [(String, [UInt8])], seconds: Double, publicKey: RSAPublicKey?) -> RunResult {
        let collected = Collected()
        let edgeBefore = ProcessCPU.childNamed("ws-edge").map(ProcessCPU.seconds)
        let signerBefore = ProcessCPU.childNamed("signer").map(ProcessCPU.seconds)
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        let group = DispatchGroup()
        for (index, body) in bodies.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var mine: [Double] = []
                var kept: [(String, [UInt8])] = []
                do {
                    let client = try BlockingHTTPClient(port: port)
                    var count = 0
                    while ContinuousClock.now < end {
                        let sent = ContinuousClock.now
                        let answer = try client.request("POST", "/getCode", body: body.1)
                        mine.append(sent.duration(to: .now).benchSeconds)
                        if answer.status != 200 { collected.failures.add(1, ordering: .relaxed) }
                        count += 1
                        if count % 16 == 1 { kept.append((body.0, answer.body)) }
                    }
                } catch {
                    collected.failures.add(1, ordering: .relaxed)
                }
                collected.latencies.withLock { $0 += mine }
                collected.samples.withLock { $0 += kept }
            }
            thread.stackSize = 1 << 20
            thread.name = "bench-\(index)"
            thread.start()
        }
        group.wait()
        let elapsed = start.duration(to: .now).benchSeconds
        var all = Samples()
        for value in collected.latencies.withLock({ $0 }) { all.add(value) }
        let answered = Double(max(1, all.values.count))
        let edgeMicros = ProcessCPU.used(since: edgeBefore, by: "ws-edge") * 1e6 / answered
        let signerMicros = ProcessCPU.used(since: signerBefore, by: "signer") * 1e6 / answered
        var errors = collected.failures.load(ordering: .relaxed)
        if let publicKey {
            for (str, body) in collected.samples.withLock({ $0 }) where !Self.verifies(body, str: str, publicKey: publicKey) { errors += 1 }
        }
        return RunResult(
            requestsPerSecond: Double(all.values.count) / elapsed, p50: all.percentile(0.5), p99: all.percentile(0.99), errors: errors,
            edgeMicros: edgeMicros, signerMicros: signerMicros)
    }

    static func verifies(_ body: [UInt8], str: String, publicKey: RSAPublicKey) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let data = object["data"] as? String,
            let cipher = Hex.decode(data),
            let plain = try? AES.decrypt(cipher, key: AES.mysqlFoldedKey("1234567887654321"), mode: .ecb),
            let inner = try? JSONSerialization.jsonObject(with: Data(plain)) as? [String: Any],
            let sign = inner["sign"] as? String, let signature = Data(base64Encoded: sign)
        else { return false }
        return publicKey.verifySHA1(signature: Array(signature), data: Array(str.utf8))
    }
}

/// CPU seconds of the benchmark's own child processes, from `/proc/PID/stat` (utime + stime).
///
/// The children are found by name among this process's children, so `BenchSystem` need not hand out PIDs.
enum ProcessCPU {
    static func childNamed(_ name: String) -> Int32? {
        let me = getpid()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry), let fields = stat(pid) else { continue }
            if fields.name == name && fields.parent == me { return pid }
        }
        return nil
    }

    /// `(comm, ppid, utime + stime in seconds)`; nil when the process is gone.
    static func stat(_ pid: Int32) -> (name: String, parent: Int32, seconds: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state(0) ppid(1) … utime(11) stime(12).
        guard fields.count > 12, let parent = Int32(fields[1]), let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (name, parent, (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    static func seconds(_ pid: Int32) -> (pid: Int32, seconds: Double) {
        (pid, stat(pid)?.seconds ?? 0)
    }

    /// CPU seconds `name` used since `before` (0 when it was not running or restarted).
    static func used(since before: (pid: Int32, seconds: Double)?, by name: String) -> Double {
        guard let before, let now = stat(before.pid), now.name == name else { return 0 }
        return max(0, now.seconds - before.seconds)
    }
}

/// What the client threads of one run hand back.
private final class Collected: Sendable {
    let latencies = Mutex<[Double]>([])
    let samples = Mutex<[(String, [UInt8])]>([])
    let failures = Atomic<Int>(0)
}

extension Duration {
    var benchSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
