import ClientKit
import Foundation
import Redis
import ServiceKit
import TestSupport
import Testing

/// permessage-deflate through the real edge: what the 101 answers, and a compressing and a plain client of one
/// telemetry group reading the same frames, with Python `websockets` (an independent RFC 7692 implementation) as client.
@Suite("permessage-deflate", .serialized, .timeLimit(.minutes(5)))
struct CompressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The pinned venv of the Autobahn run (`websockets==17.4`), created on first use.
    static func venvPython(in runDirectory: String) async throws -> String {
        let output = "\(runDirectory)/venv.out"
        let child = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", "\(root)/Tools/autobahn/run.py", "venv"],
            environment: ProcessInfo.processInfo.environment, outputPath: output)
        let exited = await child.exited(within: .seconds(600))
        if !exited { child.kill9() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard exited, child.exitStatus == 0, let python = text.split(separator: "\n").last.map(String.init), python.hasPrefix("/") else {
            throw HarnessError("could not make the websockets venv: \(text)")
        }
        return python
    }

    static func extensionsAnswer(to offer: String, port: Int) throws -> (status: Int, extensions: String?) {
        let fd = try RawSocket.connect(port: port, timeout: .seconds(10))
        defer { close(fd) }
        let head = try RawSocket.upgrade(fd, path: "/ws/echo", headers: ["Sec-WebSocket-Extensions": offer])
        return (head.status, head.headers["sec-websocket-extensions"])
    }

    @Test func theUpgradeAnswersTheFirstAcceptableOffer() async throws {
        let cluster = try await Cluster.start(["ws-edge"], environment: ["SWITCHBOARD_WS_ECHO": "1"])
        defer { cluster.shutdown() }
        try await Self.waitForListening(cluster)
        let chromium = try Self.extensionsAnswer(to: "permessage-deflate; client_max_window_bits", port: cluster.httpPort)
        #expect(chromium.status == 101)
        #expect(chromium.extensions == "permessage-deflate; server_no_context_takeover; client_max_window_bits=10")
        let fallback = try Self.extensionsAnswer(
            to: "permessage-deflate; server_max_window_bits=99, permessage-deflate; server_max_window_bits=9", port: cluster.httpPort)
        #expect(fallback.extensions == "permessage-deflate; server_no_context_takeover; server_max_window_bits=9")
        // A malformed offer is declined: the connection is upgraded without compression.
        let malformed = try Self.extensionsAnswer(
            to: "permessage-deflate; client_no_context_takeover; client_no_context_takeover", port: cluster.httpPort)
        #expect(malformed.status == 101)
        #expect(malformed.extensions == nil)
    }

    @Test func turnedOffNothingIsNegotiated() async throws {
        let cluster = try await Cluster.start(["ws-edge"], environment: ["SWITCHBOARD_WS_ECHO": "1", "SWITCHBOARD_WS_DEFLATE": "0"])
        defer { cluster.shutdown() }
        try await Self.waitForListening(cluster)
        let answer = try Self.extensionsAnswer(to: "permessage-deflate; client_max_window_bits", port: cluster.httpPort)
        #expect(answer.status == 101)
        #expect(answer.extensions == nil, "SWITCHBOARD_WS_DEFLATE=0 turns compression off")
    }

    static func waitForListening(_ cluster: Cluster) async throws {
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            if let fd = try? RawSocket.connect(port: cluster.httpPort, timeout: .seconds(1)) {
                close(fd)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("the edge did not listen within 20 s: \(cluster.log("ws-edge"))")
    }

    /// Two clients of one group: `compressing` offers permessage-deflate (and sends its own messages compressed, with
    /// context takeover and the window the edge asked for), `plain` does not. Every data_batch id both saw must have
    /// decoded to the same frame, and the compressing one must have read compressed frames.
    static let clients = #"""
        import asyncio, json, sys
        from websockets.asyncio.client import connect

        url, seconds, result_path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
        subscribe = json.dumps({"type": "subscribe", "id": "sub", "data": {"channels": [1001], "data_types": ["T"], "interval": 1000}})

        async def client(compression):
            batches, compressed = {}, 0
            async with connect(url, compression=compression, max_size=1 << 22, ping_interval=None, open_timeout=20) as ws:
                extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
                for extension in ws.protocol.extensions:
                    def counting(frame, *args, _decode=extension.decode, **kwargs):
                        nonlocal compressed
                        if frame.rsv1:
                            compressed += 1
                        return _decode(frame, *args, **kwargs)
                    extension.decode = counting
                await ws.send(subscribe)
                loop = asyncio.get_running_loop()
                end = loop.time() + seconds
                while (left := end - loop.time()) > 0:
                    try:
                        message = await asyncio.wait_for(ws.recv(), left)
                    except asyncio.TimeoutError:
                        break
                    frame = json.loads(message)
                    if frame.get("type") == "data_batch":
                        batches.setdefault(frame["id"], []).append(frame)
            return {"extensions": extensions, "compressed": compressed, "batches": batches}

        async def main():
            compressing, plain = await asyncio.gather(client("deflate"), client(None))
            common = sorted(set(compressing["batches"]) & set(plain["batches"]))
            mismatched = [i for i in common if not any(f in plain["batches"][i] for f in compressing["batches"][i])]
            with open(result_path, "w") as f:
                json.dump({"compressing_extensions": compressing["extensions"], "plain_extensions": plain["extensions"],
                           "compressed_frames": compressing["compressed"], "plain_compressed_frames": plain["compressed"],
                           "common": len(common), "mismatched": mismatched,
                           "compressing_batches": sum(map(len, compressing["batches"].values())),
                           "plain_batches": sum(map(len, plain["batches"].values()))}, f)

        asyncio.run(main())
        """#

    @Test func aCompressingAndAPlainClientOfOneGroupDecodeTheSameBatches() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        // 60 points: each data_batch is well over the 256-byte threshold.
        try await TelemetryTests.seed(cluster, channels: [1001], types: ["T"], points: 60)
        let python = try await Self.venvPython(in: cluster.runDirectory)
        let script = "\(cluster.runDirectory)/deflate_clients.py"
        try Self.clients.write(toFile: script, atomically: true, encoding: .utf8)
        let resultPath = "\(cluster.runDirectory)/deflate_clients.json"

        // The values move while the clients read, so successive batches differ.
        let redis = try TelemetryTests.redis(cluster)
        defer { redis.shutdown() }
        let writer = Task {
            var value = 0
            while !Task.isCancelled {
                value += 1
                _ = try? await redis.send(["HSET", "comsrv:1001:T", "1", "\(value).25"])
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        defer { writer.cancel() }

        let child = try ChildProcess(
            executable: python, arguments: [script, "ws://127.0.0.1:\(cluster.httpPort)/ws", "6", resultPath],
            environment: ProcessInfo.processInfo.environment, outputPath: "\(cluster.runDirectory)/deflate_clients.log")
        let exited = await child.exited(within: .seconds(60))
        if !exited { child.kill9() }
        let log = (try? String(contentsOfFile: "\(cluster.runDirectory)/deflate_clients.log", encoding: .utf8)) ?? ""
        try #require(exited && child.exitStatus == 0, "the websockets clients failed: \(log)")
        let data = try Data(contentsOf: URL(fileURLWithPath: resultPath))
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        #expect(
            result["compressing_extensions"] as? String
                == "permessage-deflate; server_no_context_takeover; client_max_window_bits=10")
        #expect(result["plain_extensions"] is NSNull)
        let compressed = result["compressed_frames"] as? Int ?? 0
        #expect(compressed >= 3, "the compressing client read \(compressed) compressed frames")
        #expect(result["plain_compressed_frames"] as? Int == 0)
        let common = result["common"] as? Int ?? 0
        #expect(common >= 3, "only \(common) data_batch ids reached both clients: \(result)")
        #expect((result["mismatched"] as? [Any])?.isEmpty == true, "batches that decoded differently: \(result)")
        // websockets compresses what it sends: its subscribe was inflated by the edge, or no batch would have come.
        #expect((result["compressing_batches"] as? Int ?? 0) >= 3)
    }
}
