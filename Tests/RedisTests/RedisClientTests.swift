import Foundation
import Redis
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct RedisClientTests {
    @Test func basicCommands() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        try await withTimeout(.seconds(10)) { () async throws -> Void in
            #expect(try await client.send("SET", "greeting", "hello") == .string(Array("OK".utf8)))
            #expect(try await client.send("GET", "greeting").text == "hello")
            #expect(try await client.send("DEL", "greeting") == .integer(1))
            #expect(try await client.send("GET", "greeting") == .null)
            #expect(try await client.send("GET", "greeting").isNull)

            #expect(try await client.send("INCR", "counter") == .integer(1))
            #expect(try await client.send("INCRBY", "counter", "41").int == 42)

            _ = try await client.send(["HSET", "h", "a", "1", "b", "2"])
            let all = try #require(try await client.send("HGETALL", "h").array)
            var fields: [String: String] = [:]
            for pair in stride(from: 0, to: all.count, by: 2) {
                fields[all[pair].text!] = all[pair + 1].text!
            }
            #expect(fields == ["a": "1", "b": "2"])
            #expect(try await client.send("HGET", "h", "missing") == .null)

            let rtt = try await client.ping()
            #expect(rtt < .seconds(1))
            #expect(client.isConnected)
        }
    }

    @Test func errorReplyThrowsAndConnectionSurvives() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        try await withTimeout(.seconds(10)) { () async throws -> Void in
            _ = try await client.send("SET", "s", "text")
            await #expect {
                _ = try await client.send("INCR", "s")
            } throws: { error in
                guard case RedisError.server(let message) = error else { return false }
                return message.contains("not an integer")
            }
            await #expect(throws: RedisError.self) { _ = try await client.send("NOSUCHCOMMAND") }
            #expect(try await client.send("GET", "s").text == "text")
        }
    }

    @Test func binarySafeBytes() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        let key: [UInt8] = [0x6B, 0x00, 0x01, 0xFF]
        let value: [UInt8] = [0x00, 0x00, 0xFF, 0x0D, 0x0A, 0x00, 0x80, 0x00] + Array(repeating: 0, count: 1000)
        try await withTimeout(.seconds(10)) { () async throws -> Void in
            #expect(try await client.sendBytes([Array("SET".utf8), key, value]).text == "OK")
            #expect(try await client.sendBytes([Array("GET".utf8), key]) == .string(value))
            #expect(try await client.sendBytes([Array("STRLEN".utf8), key]) == .integer(value.count))
            #expect(try await client.sendBytes([Array("SET".utf8), Array("empty".utf8), []]).text == "OK")
            #expect(try await client.send("GET", "empty") == .string([]))
        }
    }

    @Test func pipelineOfTenThousand() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        let replies = try await withTimeout(.seconds(20)) {
            try await client.pipeline(Array(repeating: ["INCR", "p"], count: 10_000))
        }
        #expect(replies.count == 10_000)
        #expect(replies == (1...10_000).map { RedisValue.integer($0) })

        // Error replies come back in place instead of throwing.
        let mixed = try await withTimeout(.seconds(5)) {
            try await client.pipeline([["SET", "x", "a"], ["INCR", "x"], ["GET", "x"]])
        }
        #expect(mixed.count == 3)
        if case .error = mixed[1] {} else { Issue.record("expected an error entry, got \(mixed[1])") }
        #expect(mixed[2].text == "a")
        #expect(try await client.pipeline([]) == [])
    }

    @Test func concurrentCallersEachGetTheirOwnReply() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        let mismatches = try await withTimeout(.seconds(30)) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var bad = 0
                        for i in stride(from: worker, to: 1000, by: 8) {
                            _ = try await client.send("SET", "k_\(i)", "\(i)")
                            if try await client.send("GET", "k_\(i)").int != i { bad += 1 }
                        }
                        return bad
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        #expect(mismatches == 0)
        #expect(try await client.send("DBSIZE") == .integer(1000))
    }

    @Test func luaScript() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        let script = "redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), tonumber(ARGV[1]) * 2}"
        let reply = try await withTimeout(.seconds(10)) { try await client.send("EVAL", script, "1", "lua:key", "21") }
        #expect(reply == .array([.string(Array("21".utf8)), .integer(42)]))
        await #expect(throws: RedisError.self) {
            _ = try await client.send("EVAL", "return redis.call('NOPE')", "0")
        }
    }

    @Test func redisDownAtStartThenComesUp() async throws {
        let port = try FreePort.allocate()
        let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: port))
        defer { client.shutdown() }

        let clock = ContinuousClock()
        for _ in 0..<5 {
            let start = clock.now
            await #expect {
                _ = try await withTimeout(.seconds(2)) { try await client.send("PING") }
            } throws: { error in
                (error as? RedisError)?.isUnavailable == true && "\(error)".contains("127.0.0.1:\(port)")
            }
            #expect(clock.now - start < .seconds(1))
        }
        #expect(!client.isConnected)

        let server = try await RedisServer.start(port: port)
        defer { server.stop() }
        let start = clock.now
        let recovered = await eventually(within: .seconds(3)) {
            (try? await withTimeout(.seconds(1)) { try await client.send("PING") })?.text == "PONG"
        }
        #expect(recovered)
        #expect(clock.now - start < .seconds(3))
    }

    @Test func serverKilledAndRestartedMidUse() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)
        defer { client.shutdown() }

        try await withTimeout(.seconds(5)) { () async throws -> Void in
            _ = try await client.send("SET", "durable", "yes")
        }
        // appendfsync everysec: give the AOF a moment so the key survives the crash.
        try await Task.sleep(for: .milliseconds(1200))

        server.kill9()
        var failures = 0
        for _ in 0..<3 {
            do {
                _ = try await withTimeout(.seconds(2)) { try await client.send("GET", "durable") }
            } catch let error as RedisError {
                #expect(error.isUnavailable, "expected unavailable, got \(error)")
                failures += 1
            }
        }
        #expect(failures == 3)

        try await server.restart()
        let recovered = await eventually(within: .seconds(5)) {
            (try? await withTimeout(.seconds(1)) { try await client.send("GET", "durable") })?.text == "yes"
        }
        #expect(recovered)
        #expect(client.isConnected)
    }

    @Test func commandTimeout() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server, commandTimeout: .milliseconds(200))
        defer { client.shutdown() }

        _ = try await withTimeout(.seconds(5)) { try await client.send("PING") }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            _ = try await withTimeout(.seconds(3)) { try await client.send("DEBUG", "SLEEP", "1") }
        } throws: { error in
            (error as? RedisError)?.isTimeoutOrUnavailable == true
        }
        // The 200 ms command timeout ended the wait, not the server's answer, which comes only after its 1 s sleep.
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(1), "took \(elapsed)")

        // Once the server is done sleeping, the client works again.
        let recovered = await eventually(within: .seconds(5)) {
            (try? await withTimeout(.seconds(1)) { try await client.send("PING") })?.text == "PONG"
        }
        #expect(recovered)
    }

    @Test func shutdownFailsPendingAndLaterCalls() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let client = try makeClient(server)

        _ = try await withTimeout(.seconds(5)) { try await client.send("PING") }
        let sleeper = Task { try await client.send("DEBUG", "SLEEP", "2") }
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock()
        let start = clock.now
        client.shutdown()
        client.shutdown()
        #expect(clock.now - start < .seconds(1))
        let result = await sleeper.result
        #expect(throws: RedisError.unavailable("client shut down")) { try result.get() }
        await #expect(throws: RedisError.unavailable("client shut down")) { _ = try await client.send("PING") }
        #expect(!client.isConnected)
    }
}
