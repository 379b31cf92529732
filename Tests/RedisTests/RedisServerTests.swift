import Foundation
import Redis
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(1))) struct RedisServerTests {
    @Test func lifecycle() async throws {
        let server = try await RedisServer.start(appendOnly: false)
        defer { server.stop() }
        #expect(server.url == "redis://127.0.0.1:\(server.port)")
        #expect(FileManager.default.fileExists(atPath: server.directory.path))
        #expect(server.log().contains("Ready to accept connections"))

        let clock = ContinuousClock()
        let start = clock.now
        server.stop()
        server.stop()
        #expect(clock.now - start < .seconds(2), "SIGTERM should stop redis promptly")
        #expect(!FileManager.default.fileExists(atPath: server.directory.path))
        await #expect(throws: RedisServer.StartError.self) { try await server.restart() }
    }

    @Test func freePortsAreUsable() throws {
        let ports = try (0..<20).map { _ in try FreePort.allocate() }
        #expect(ports.allSatisfy { (1024...65535).contains($0) })
        #expect(Set(ports).count > 1)
    }
}
