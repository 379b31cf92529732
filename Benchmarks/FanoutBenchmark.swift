import ArgumentParser
import ClientKit
import Foundation
import Redis

/// Telemetry fan-out through the real scheduler and edge: C clients share one subscription of K channels × P points.
///
/// Reports delivered batches/s, values/s, the server processes' CPU (edge + scheduler + redis, from /proc), batches per
/// server CPU-second, and staleness: a writer stamps point `0` of channel 1 with the time, each client measures its age.
/// With `--deflate N`, N of the clients offer permessage-deflate (as Chromium does) and inflate what they read; the
/// bytes on the wire per data_batch are reported for compressed and plain clients apart.
struct FanoutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fanout", abstract: "Telemetry batches to many clients of one subscription.")

    @Option(help: "Clients.") var clients = 200
    @Option(help: "How many of the clients offer permessage-deflate (and inflate what they read); the rest read plain frames.")
    var deflate = 0
    @Option(help: "Channels in the subscription.") var channels = 10
    @Option(help: "Points per channel (values per batch = channels × points).") var points = 100
    @Option(help: "Subscription interval, ms.") var interval = 100
    @Option(help: "Writer period, ms (it stamps the time into channel 1).") var writerPeriod = 100
    @Option(help: "Seconds measured per run.") var seconds = 10.0
    @Option(help: "Runs; medians are reported.") var runs = 3
    @Option(help: "Directory of the built executables.") var binaries = BenchCluster.defaultBinaries

    func run() async throws {
        let cluster = try BenchCluster(
            binaries: binaries,
            // Every client is anonymous from 127.0.0.1, so they share one IP's connection limit and message bucket.
            environment: [
                "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "1000000", "SWITCHBOARD_MESSAGE_BURST": "1000000", "SWITCHBOARD_MESSAGE_RATE": "1000000",
                "SWITCHBOARD_WS_QUEUE_FRAMES": "4096", "SWITCHBOARD_WS_QUEUE_BYTES": "67108864",
            ]
        )
        defer { cluster.stopAll() }
        let redis = try await cluster.startRedis()
        defer { redis.shutdown() }
        for name in ["scheduler", "auth", "menu", "signer", "ws-edge"] { try cluster.start(name) }
        try await cluster.waitForHealth()
        try await seed(redis)

        let channelList = (1...channels).map(String.init).joined(separator: ",")
        let subscribe = #"{"type":"subscribe","id":"bench","data":{"channels":[\#(channelList)],"data_types":["T"],"interval":\#(interval)}}"#
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for index in 0..<clients {
            let fd =
                index < deflate
                ? try DeflateClient.openWebSocket(port: cluster.httpPort, path: "/ws")
                : try RawSocket.openWebSocket(port: cluster.httpPort, path: "/ws")
            try RawSocket.write(fd, WebSocketFrame.text(subscribe))
            sockets.append(fd)
        }
        let writer = Task { await stampLoop(redis) }
        defer { writer.cancel() }

        print(
            "fanout: \(clients) clients × 1 subscription of \(channels) channels × \(points) points (\(channels * points) values/batch), interval \(interval) ms, writer every \(writerPeriod) ms, \(min(deflate, clients)) clients with permessage-deflate"
        )
        let reader = try FanoutReader(sockets: sockets)
        _ = reader.collect(for: 2)  // warm-up: subscriptions settle, immediate batches drain
        var batchRates = Samples()
        var perCPU = Samples()
        var cpuShare = Samples()
        var p50 = Samples()
        var p99 = Samples()
        var wire = FanoutReader.Wire()
        for run in 1...runs {
            let cpuBefore = cluster.cpuSeconds(["ws-edge", "scheduler", "redis"])
            let result = reader.collect(for: seconds)
            let cpu = cluster.cpuSeconds(["ws-edge", "scheduler", "redis"]) - cpuBefore
            wire.add(result.wire)
            let rate = Double(result.batches) / result.elapsed
            batchRates.add(rate)
            perCPU.add(Double(result.batches) / max(cpu, 0.001))
            cpuShare.add(cpu / result.elapsed)
            var staleness = Samples()
            result.staleness.forEach { staleness.add($0) }
            p50.add(staleness.percentile(0.5))
            p99.add(staleness.percentile(0.99))
            print(
                "  run \(run): \(format(rate)) batches/s, \(format(rate * Double(channels * points))) values/s, server CPU \(format(cpu / result.elapsed, 2)) cores, \(format(Double(result.batches) / max(cpu, 0.001))) batches per CPU-s, staleness p50 \(format(staleness.percentile(0.5), 1)) ms p99 \(format(staleness.percentile(0.99), 1)) ms"
            )
        }
        print("  wire: \(wire.summary) (payload + frame header per data_batch, over all runs)")
        print(
            "median: \(format(batchRates.median)) batches/s (expected \(format(Double(clients) * 1000 / Double(interval)))), \(format(batchRates.median * Double(channels * points))) values/s, \(format(perCPU.median)) batches of \(channels * points) values per server CPU-second (server \(format(cpuShare.median, 2)) cores), staleness p50 \(format(p50.median, 1)) ms, p99 \(format(p99.median, 1)) ms (writer period \(writerPeriod) ms, interval \(interval) ms)"
        )
    }

    private func seed(_ redis: RedisClient) async throws {
        var commands: [[String]] = []
        for channel in 1...channels {
            var command = ["HSET", "comsrv:\(channel):T"]
            for point in 0..<points { command += [String(point), String(format: "%.2f", 100 + Double(point) / 7)] }
            commands.append(command)
        }
        _ = try await redis.pipeline(commands)
    }

    private func stampLoop(_ redis: RedisClient) async {
        while !Task.isCancelled {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            _ = try? await redis.send(["HSET", "comsrv:1:T", "0", String(now)])
            try? await Task.sleep(for: .milliseconds(writerPeriod))
        }
    }
}

/// Reads every client socket on one thread with poll(2): counts batches and samples the stamp's age.
final class FanoutReader {
    struct Result {
        var batches = 0
        var staleness: [Double] = []
        var elapsed = 0.0
        var wire = Wire()
    }

    /// data_batch frames and their bytes on the wire (payload and frame header), compressed and plain apart.
    struct Wire {
        var compressedBatches = 0
        var compressedBytes = 0
        var plainBatches = 0
        var plainBytes = 0

        mutating func add(_ other: Wire) {
            compressedBatches += other.compressedBatches
            compressedBytes += other.compressedBytes
            plainBatches += other.plainBatches
            plainBytes += other.plainBytes
        }

        var summary: String {
            func average(_ bytes: Int, _ count: Int) -> String { count == 0 ? "none" : "\(format(Double(bytes) / Double(count))) B" }
            var text =
                "compressed \(average(compressedBytes, compressedBatches)) per batch (\(compressedBatches) batches), plain \(average(plainBytes, plainBatches)) (\(plainBatches))"
            if compressedBatches > 0, plainBatches > 0, compressedBytes > 0 {
                let ratio = (Double(plainBytes) / Double(plainBatches)) / (Double(compressedBytes) / Double(compressedBatches))
                text += ": \(format(ratio, 1))× smaller"
            }
            return text
        }
    }

    private let sockets: [Int32]
    private var splitters: [ServerFrameParser]
    private var buffer = [UInt8](repeating: 0, count: 1 << 18)
    private let inflater: DeflateClient.Inflater
    private static let stampMarker = Array(#""values":{"0":"#.utf8)
    private static let batchMarker = Array(#"{"type":"data_batch""#.utf8)

    init(sockets: [Int32]) throws {
        self.sockets = sockets
        inflater = try DeflateClient.Inflater()
        splitters = Array(repeating: ServerFrameParser(), count: sockets.count)
        for fd in sockets { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    func collect(for seconds: Double) -> Result {
        var result = Result()
        var pollSet = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let start = Date()
        let end = start.addingTimeInterval(seconds)
        while Date() < end {
            guard poll(&pollSet, nfds_t(pollSet.count), 100) > 0 else { continue }
            for index in pollSet.indices where pollSet[index].revents != 0 {
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(pollSet[index].fd, $0.baseAddress, $0.count, 0) }
                    guard count > 0 else { break }
                    buffer.withUnsafeBytes { splitters[index].append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                }
                let now = Date().timeIntervalSince1970 * 1000
                while let frame = splitters[index].nextFrame() {
                    guard frame.opcode == 1 else { continue }
                    let payload = frame.compressed ? inflater.inflate(frame.payload).map { $0[...] } ?? [] : frame.payload
                    guard payload.starts(with: Self.batchMarker) else { continue }
                    result.batches += 1
                    let wireBytes = frame.payload.count + (frame.payload.count < 126 ? 2 : frame.payload.count < 65_536 ? 4 : 10)
                    if frame.compressed {
                        result.wire.compressedBatches += 1
                        result.wire.compressedBytes += wireBytes
                    } else {
                        result.wire.plainBatches += 1
                        result.wire.plainBytes += wireBytes
                    }
                    // Every client's frame is the same bytes; sampling a few clients keeps the reader cheap.
                    if index % 16 == 0, let stamp = Self.stamp(in: payload) { result.staleness.append(now - stamp) }
                }
            }
        }
        result.elapsed = Date().timeIntervalSince(start)
        return result
    }

    static func stamp(in payload: ArraySlice<UInt8>) -> Double? {
        guard let range = payload.firstRange(of: stampMarker) else { return nil }
        var value = 0.0
        var index = range.upperBound
        while index < payload.endIndex, payload[index] >= 0x30, payload[index] <= 0x39 {
            value = value * 10 + Double(payload[index] - 0x30)
            index += 1
        }
        return value > 0 ? value : nil
    }
}
