import ArgumentParser
import ClientKit
import Foundation

/// Request/response over WebSocket: C clients each keep one `ping` in flight; reports round trips/s and latency.
struct PingPongBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pingpong", abstract: "ping → pong round trips through the edge.")

    @Option(help: "Clients, each with one ping in flight.") var clients = 32
    @Option(help: "Seconds per run.") var seconds = 5.0
    @Option(help: "Runs; medians are reported.") var runs = 3
    @Option(help: "Directory of the built executables.") var binaries = BenchCluster.defaultBinaries

    func run() async throws {
        // The message rate limit would throttle a benchmark client; it is measured elsewhere.
        let cluster = try BenchCluster(
            binaries: binaries,
            environment: [
                "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "1000000", "SWITCHBOARD_MESSAGE_RATE": "1000000", "SWITCHBOARD_MESSAGE_BURST": "1000000",
            ])
        defer { cluster.stopAll() }
        let redis = try await cluster.startRedis()
        defer { redis.shutdown() }
        for name in ["scheduler", "auth", "menu", "signer", "ws-edge"] { try cluster.start(name) }
        try await cluster.waitForHealth()
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<clients { sockets.append(try RawSocket.openWebSocket(port: cluster.httpPort, path: "/ws")) }
        for fd in sockets { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var splitters = Array(repeating: ServerFrameParser(), count: clients)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let ping = WebSocketFrame.text(#"{"type":"ping","id":"p"}"#)
        print(
            "pingpong: \(clients) clients, one ping in flight each (message rate limit lifted; the rate-limit hook counts locally, synced with auth every 250 ms)"
        )
        var rates = Samples()
        var p50s = Samples()
        var p99s = Samples()
        for run in 1...runs {
            var sentAt = [Double](repeating: 0, count: clients)
            var latencies = Samples()
            var pollSet = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let cpuBefore = cluster.cpuSeconds(["ws-edge", "auth", "redis"])
            let start = Date()
            for index in 0..<clients {
                sentAt[index] = Date().timeIntervalSince1970
                try RawSocket.write(sockets[index], ping)
            }
            while Date().timeIntervalSince(start) < seconds {
                guard poll(&pollSet, nfds_t(clients), 100) > 0 else { continue }
                for index in 0..<clients where pollSet[index].revents != 0 {
                    while true {
                        let count = buffer.withUnsafeMutableBytes { recv(sockets[index], $0.baseAddress, $0.count, 0) }
                        guard count > 0 else { break }
                        buffer.withUnsafeBytes { splitters[index].append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                    }
                    while let frame = splitters[index].next() {
                        guard frame.opcode == 1, frame.payload.starts(with: Array(#"{"type":"pong""#.utf8)) else { continue }
                        let now = Date().timeIntervalSince1970
                        latencies.add((now - sentAt[index]) * 1000)
                        sentAt[index] = now
                        try RawSocket.write(sockets[index], ping)
                    }
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            let cpu = cluster.cpuSeconds(["ws-edge", "auth", "redis"]) - cpuBefore
            // Drain the pings still in flight so the next run starts clean.
            try await Task.sleep(for: .milliseconds(300))
            for index in 0..<clients {
                while buffer.withUnsafeMutableBytes({ recv(sockets[index], $0.baseAddress, $0.count, 0) }) > 0 {}
                splitters[index] = ServerFrameParser()
            }
            let rate = Double(latencies.values.count) / elapsed
            rates.add(rate)
            p50s.add(latencies.percentile(0.5))
            p99s.add(latencies.percentile(0.99))
            print(
                "  run \(run): \(format(rate)) round trips/s, p50 \(format(latencies.percentile(0.5), 2)) ms, p99 \(format(latencies.percentile(0.99), 2)) ms, server \(format(cpu / elapsed, 2)) cores"
            )
        }
        print("median: \(format(rates.median)) round trips/s, p50 \(format(p50s.median, 2)) ms, p99 \(format(p99s.median, 2)) ms")
    }
}
