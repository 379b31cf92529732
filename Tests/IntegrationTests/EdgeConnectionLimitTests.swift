import Foundation
import TestSupport
import Testing

/// The edge listener's own bounds, before any route runs: connection caps counted per peer address at accept, the
/// header timeout for a request head that never completes, and the idle timeout of a kept-alive connection.
@Suite struct EdgeConnectionLimitTests {
    /// A request head that is never finished (no blank line), as a slowloris client sends it.
    static let partialHead = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    /// Polls until `count` of `sockets` are closed by the edge, or `timeout`; returns how many are closed.
    static func waitForClosed(_ sockets: [PeerSocket], count: Int, timeout: Duration) async throws -> Int {
        let end = ContinuousClock.now + timeout
        var closed = 0
        while ContinuousClock.now < end {
            closed = sockets.filter(\.isClosedByPeer).count
            if closed >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return closed
    }

    @Test func threeHundredHalfSentRequestsFromOneAddressLockNobodyElseOut() async throws {
        let perIP = 50
        let cluster = try await Cluster.start(environment: [
            "SWITCHBOARD_EDGE_MAX_CONNECTIONS": "200",
            "SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP": String(perIP),
            // Long enough that the admitted attackers are still there when the victim asks.
            "SWITCHBOARD_HTTP_HEADER_TIMEOUT_SECONDS": "300",
        ])
        defer { cluster.shutdown() }

        var attackers: [PeerSocket] = []
        for _ in 0..<300 {
            let socket = try PeerSocket(port: cluster.httpPort, from: "127.0.0.2")
            socket.send(Self.partialHead)
            attackers.append(socket)
        }
        // Everything past the per-address cap is closed at accept; the first `perIP` wait for their header timeout.
        let closed = try await Self.waitForClosed(attackers, count: 300 - perIP, timeout: .seconds(20))
        #expect(closed == 300 - perIP, "\(closed) of 300 half-sent requests were closed; expected all but \(perIP)")

        // Another address gets in at once, although the attacker holds more connections than the cap would allow it.
        let start = ContinuousClock.now
        let answer = try await cluster.http("GET", "/health", timeout: 5)
        #expect(answer.status == 200, "\(answer.status) \(answer.text)")
        #expect(start.duration(to: .now) < .seconds(5))
        // Operators see the refusals.
        let metrics = try await cluster.http("GET", "/metrics", timeout: 5).text
        let refusedLine = metrics.split(separator: "\n").first {
            $0.hasPrefix("switchboard_http_connections_refused_total{") && $0.contains("per_ip")
        }
        let refusedCount = refusedLine.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
        #expect(refusedCount >= Double(300 - perIP), "\(refusedLine.map(String.init) ?? "no refused-connections series in /metrics")")
        let victim = try PeerSocket(port: cluster.httpPort, from: "127.0.0.3")
        victim.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(victim.readResponse(timeout: .seconds(5))?.status == 200)

        // The attacker's address is still full, and its slots come back once its connections are closed.
        let extra = try PeerSocket(port: cluster.httpPort, from: "127.0.0.2")
        #expect(try await Self.waitForClosed([extra], count: 1, timeout: .seconds(10)) == 1, "a connection past the cap stayed open")
        attackers.removeAll()
        let end = ContinuousClock.now + .seconds(10)
        var readmitted = false
        while !readmitted && ContinuousClock.now < end {
            let again = try PeerSocket(port: cluster.httpPort, from: "127.0.0.2")
            again.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            readmitted = again.readResponse(timeout: .seconds(2))?.status == 200
            if !readmitted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(readmitted, "127.0.0.2 was not let in again after closing its connections")
    }

    @Test func theEdgeWideCapRefusesNewConnectionsOnceFull() async throws {
        let cluster = try await Cluster.start(environment: [
            "SWITCHBOARD_EDGE_MAX_CONNECTIONS": "40", "SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP": "1000",
            "SWITCHBOARD_HTTP_HEADER_TIMEOUT_SECONDS": "300",
        ])
        defer { cluster.shutdown() }
        // URLSession may keep a few kept-alive connections of its own from the health wait; fill the rest and more.
        var sockets: [PeerSocket] = []
        for _ in 0..<60 {
            let socket = try PeerSocket(port: cluster.httpPort, from: "127.0.0.4")
            socket.send(Self.partialHead)
            sockets.append(socket)
        }
        let closed = try await Self.waitForClosed(sockets, count: 20, timeout: .seconds(20))
        #expect(closed >= 20, "only \(closed) of 60 connections were refused by an edge capped at 40")
        try await Task.sleep(for: .milliseconds(500))
        let open = sockets.count - sockets.filter(\.isClosedByPeer).count
        #expect(open <= 40 && open > 0, "\(open) connections open on an edge capped at 40")
    }

    @Test func aHalfSentHeadIsClosedAfterTheHeaderTimeoutAndAnIdleConnectionAfterTheIdleTimeout() async throws {
        let headerTimeout = Duration.seconds(1)
        let idleTimeout = Duration.seconds(2)
        // Scheduling slack on a loaded 2-core machine; a missing timeout never closes at all.
        let slack = Duration.seconds(5)
        let cluster = try await Cluster.start(environment: [
            "SWITCHBOARD_HTTP_HEADER_TIMEOUT_SECONDS": "1", "SWITCHBOARD_HTTP_IDLE_TIMEOUT_SECONDS": "2",
        ])
        defer { cluster.shutdown() }

        let beforeConnect = ContinuousClock.now
        let slow = try PeerSocket(port: cluster.httpPort)
        slow.send(Self.partialHead)
        let slowEnd = slow.readUntilClosed(timeout: headerTimeout + slack + .seconds(5))
        let slowElapsed = beforeConnect.duration(to: .now)
        #expect(slowEnd.closed, "a half-sent head was still open after \(slowElapsed)")
        #expect(slowEnd.bytes.isEmpty, "a half-sent head got an answer: \(String(decoding: slowEnd.bytes, as: UTF8.self))")
        #expect(slowElapsed >= headerTimeout - .milliseconds(50) && slowElapsed <= headerTimeout + slack, "closed after \(slowElapsed)")

        // A head that is slow but complete within the timeout is answered.
        let patient = try PeerSocket(port: cluster.httpPort)
        patient.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try await Task.sleep(for: .milliseconds(300))
        patient.send("Connection: close\r\n\r\n")
        #expect(patient.readResponse(timeout: .seconds(5))?.status == 200)

        // A kept-alive connection that asks nothing more is closed after the idle timeout, counted from the answer.
        let idle = try PeerSocket(port: cluster.httpPort)
        idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(idle.readResponse(timeout: .seconds(5))?.status == 200)
        let answered = ContinuousClock.now
        let idleEnd = idle.readUntilClosed(timeout: idleTimeout + slack + .seconds(5))
        let idleElapsed = answered.duration(to: .now)
        #expect(idleEnd.closed, "an idle keep-alive connection was still open after \(idleElapsed)")
        #expect(idleElapsed >= idleTimeout - .milliseconds(100) && idleElapsed <= idleTimeout + slack, "closed after \(idleElapsed)")
    }
}
