import ArgumentParser
import AuthTokens
import ClientKit
import Foundation

/// Chat fan-out end to end: R rooms × M members on one edge, S of them sending at a fixed total rate; every message goes
/// client → edge (rate-limit hook → auth) → scheduler (stored in the room's Redis stream, then published) → edge → every
/// member of the room.
///
/// Reports deliveries per second, deliveries per CPU-second of the server processes (edge, scheduler, auth, Redis), and
/// the latency from the sender's write to each member's read. The goal is p99 ≤ 20 ms at 1,000 deliveries/s.
struct ChatBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat deliveries/s, deliveries per server CPU-second and end-to-end p50/p99 through edge → scheduler → Redis → edge."
    )

    @Option(help: "Rooms (R).") var rooms = 10
    @Option(help: "Members per room (M), senders included.") var members = 10
    @Option(help: "Sending members (S), spread over the rooms.") var senders = 10
    @Option(parsing: .upToNextOption, help: "Total messages sent per second; one set of runs per rate.") var rates: [Int] = [100, 300]
    @Option(help: "Seconds per measured run.") var seconds = 5.0
    @Option(help: "Runs per rate; the median is reported.") var runs = 3
    @Option(help: "Directory of the built executables.") var binaries = BenchCluster.defaultBinaries

    static let servers = ["ws-edge", "scheduler", "auth", "redis"]

    func validate() throws {
        guard rooms >= 1, members >= 1, (1...rooms * members).contains(senders), !rates.isEmpty, rates.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("need rooms, members ≥ 1, 1 ≤ senders ≤ rooms × members, rates > 0")
        }
    }

    func run() async throws {
        let cluster = try BenchCluster(
            binaries: binaries,
            environment: [
                "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "1000000", "SWITCHBOARD_MESSAGE_RATE": "100000", "SWITCHBOARD_MESSAGE_BURST": "100000",
            ]
        )
        defer { cluster.stopAll() }
        let redis = try await cluster.startRedis()
        redis.shutdown()
        for name in ["scheduler", "auth", "menu", "signer", "ws-edge"] { try cluster.start(name) }
        try await cluster.waitForHealth()

        let authority = await TokenAuthority(secret: cluster.jwtSecret)
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for room in 0..<rooms {
            for member in 0..<members {
                let token = try await authority.issueAccess(user: "bench\(room)x\(member)", roles: ["viewer"], lifetime: .seconds(3600)).token
                let fd = try RawSocket.openWebSocket(port: cluster.httpPort, path: "/ws?token=\(token)")
                try RawSocket.write(fd, WebSocketFrame.text(#"{"type":"join_room","id":"join","data":{"room":"bench-\#(room)"}}"#))
                sockets.append(fd)
            }
        }
        let reader = ChatReader(sockets: sockets)
        defer { reader.stop() }
        let end = ContinuousClock.now + .seconds(60)
        while reader.joined < sockets.count {
            guard ContinuousClock.now < end else {
                throw BenchFailure("only \(reader.joined) of \(sockets.count) joined; logs in \(cluster.runDirectory)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Sender k is member k / R of room k % R, so the senders spread evenly over the rooms.
        let sending = (0..<senders).map { (fd: sockets[($0 % rooms) * members + $0 / rooms], room: "bench-\($0 % rooms)") }

        print("chat: \(rooms) rooms × \(members) members on one edge, \(senders) senders; \(runs) runs × \(format(seconds, 1)) s per rate")
        print("sent/s   delivered/s (min–max)     per server CPU-s   server CPU %   p50 ms   p99 ms   max ms   errors")
        for rate in rates {
            _ = try await measure(sending, rate: rate, seconds: 1, cluster: cluster, reader: reader)  // warm-up
            var delivered = Samples()
            var perCPU = Samples()
            var cpuShare = Samples()
            var p50s = Samples()
            var p99s = Samples()
            var maxes = Samples()
            var errors = 0
            for _ in 0..<runs {
                let result = try await measure(sending, rate: rate, seconds: seconds, cluster: cluster, reader: reader)
                delivered.add(result.deliveredPerSecond)
                perCPU.add(result.perCPUSecond)
                cpuShare.add(result.cpuShare * 100)
                p50s.add(result.p50)
                p99s.add(result.p99)
                maxes.add(result.max)
                errors += result.errors
            }
            print(
                [
                    pad(String(rate), 8),
                    pad("\(format(delivered.median)) (\(format(delivered.min))–\(format(delivered.max)))", 26),
                    pad(format(perCPU.median), 18),
                    pad(format(cpuShare.median), 14),
                    pad(format(p50s.median, 2), 8),
                    pad(format(p99s.median, 2), 8),
                    pad(format(maxes.median, 1), 8),
                    String(errors),
                ].joined(separator: " "))
        }
    }

    struct RunResult {
        let deliveredPerSecond: Double
        let perCPUSecond: Double
        let cpuShare: Double
        let p50: Double
        let p99: Double
        let max: Double
        let errors: Int
    }

    private func measure(
        _ sending: [(fd: Int32, room: String)], rate: Int, seconds: Double, cluster: BenchCluster, reader: ChatReader
    ) async throws -> RunResult {
        let cpuBefore = cluster.cpuSeconds(Self.servers)
        reader.startRecording()
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.seconds(1) / rate
        let total = Int(Double(rate) * seconds)
        for index in 0..<total {
            let due = start + interval * index
            if due > clock.now { try await Task.sleep(until: due, clock: clock) }
            let sender = sending[index % sending.count]
            let stamp = DispatchTime.now().uptimeNanoseconds
            let frame = #"{"type":"chat_message","id":"m\#(index)","data":{"room":"\#(sender.room)","content":"t=\#(stamp);bench"}}"#
            RawSocket.sendAll(sender.fd, WebSocketFrame.text(frame))
        }
        let sendEnd = clock.now
        try await Task.sleep(for: .milliseconds(500))  // the last messages arrive
        let (latencies, errors) = reader.stopRecording()
        let cpu = cluster.cpuSeconds(Self.servers) - cpuBefore
        let elapsed = (clock.now - start).seconds
        var samples = Samples()
        for latency in latencies { samples.add(Double(latency) / 1e6) }
        return RunResult(
            deliveredPerSecond: Double(latencies.count) / (sendEnd - start).seconds,
            perCPUSecond: cpu > 0 ? Double(latencies.count) / cpu : .nan,
            cpuShare: cpu / elapsed,
            p50: samples.percentile(0.5),
            p99: samples.percentile(0.99),
            max: samples.max,
            errors: errors
        )
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
