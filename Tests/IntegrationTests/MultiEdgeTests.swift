import Foundation
import TestSupport
import Testing

/// Several edges on one port (SO_REUSEPORT) in front of the same services, and an edge that goes away.
@Suite("Several edges", .serialized, .timeLimit(.minutes(2)))
struct MultiEdgeTests {
    @Test func twoEdgesShareOnePortAndClientsOfAKilledEdgeReconnectToTheOther() async throws {
        let cluster = try await Cluster.start(
            Cluster.backingServices, environment: ["SWITCHBOARD_EDGE_REUSEPORT": "1", "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "1000"])
        defer { cluster.shutdown() }
        try cluster.start("ws-edge", as: "edge-a")
        try cluster.start("ws-edge", as: "edge-b")
        try await cluster.waitForHealth(200, timeout: .seconds(20))
        // Both edges must be listening before the kernel can spread connections over them.
        try await Task.sleep(for: .milliseconds(500))

        var sockets: [TestWebSocket] = []
        var edges: [String: Int] = [:]
        for _ in 0..<24 {
            let socket = try await TestWebSocket.connect(port: cluster.httpPort)
            let hello = try #require(await socket.next(type: "connection_established"))
            let edge = try #require((hello["data"] as? [String: Any])?["edge"] as? String)
            edges[edge, default: 0] += 1
            sockets.append(socket)
        }
        #expect(edges.count == 2, "24 connections all went to one edge: \(edges)")

        let pidA = try #require(cluster.pid("edge-a"))
        cluster.kill9("edge-a")
        let edgeA = edges.keys.first { $0.hasSuffix("-\(pidA)") }
        var dropped = 0
        for socket in sockets {
            if await socket.closeCode(timeout: .milliseconds(200)) != nil || socket.isClosed { dropped += 1 }
        }
        #expect(dropped == edges[edgeA ?? ""] ?? -1, "only the killed edge's clients drop")
        let again = try await TestWebSocket.connect(port: cluster.httpPort)
        let hello = try #require(await again.next(type: "connection_established"))
        #expect((hello["data"] as? [String: Any])?["edge"] as? String != edgeA)
        for socket in sockets + [again] { await socket.close() }
    }

    @Test func anEdgeStoppedWithSIGTERMClosesWebSocketsWith1001AndExits() async throws {
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_EDGE_DRAIN_SECONDS": "2"])
        defer { cluster.shutdown() }
        let socket = try await TestWebSocket.connect(port: cluster.httpPort)
        _ = await socket.next(type: "connection_established")
        let status = await cluster.terminate("ws-edge", timeout: .seconds(10))
        #expect(status == 0)
        #expect(await socket.closeCode(timeout: .seconds(3)) == 1001)
    }
}
