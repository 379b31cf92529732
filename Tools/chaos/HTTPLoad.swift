import ClientKit
import Foundation
import OpenSSLCrypto
import Synchronization

/// The HTTP side of the load: logins (auth), the menu version (menu) and `/getCode` (signer) in a loop on one thread,
/// counted by route and status, with the slowest failure, so an outage shows as fast 503s and never as a hang.
final class HTTPLoad: Sendable {
    struct Route: Sendable {
        let name: String
        let method: String
        let path: String
        let body: String?
    }

    private struct State {
        var counts: [String: [Int: Int]] = [:]
        var slowestFailureMs: [String: Double] = [:]
        var stopped = false
        /// While an edge is being killed, a request that was on its connection ends without an answer; those are counted
        /// apart instead of as failures.
        var edgeDying = false
        var cutByEdgeKill = 0
    }

    private let state = Mutex(State())
    let port: Int
    let routes: [Route]

    init(port: Int, routes: [Route]) {
        self.port = port
        self.routes = routes
    }

    /// A valid `/getCode` body: hex of AES-128-ECB over `{"str","pwdstr"}` with the development key.
    static func getCodeBody(_ text: String = "chaos") -> String {
        let plain = #"{"str":"\#(text)","pwdstr":"88888888"}"#
        let cipher = (try? AES.encrypt(Array(plain.utf8), key: AES.mysqlFoldedKey("1234567887654321"), mode: .ecb)) ?? []
        return Hex.encode(cipher, uppercase: true)
    }

    func start() {
        let thread = Thread { [self] in
            while !state.withLock({ $0.stopped }) {
                for route in routes {
                    let started = nowNanos()
                    let status = RawSocket.http(port: port, route.method, route.path, body: route.body)?.status ?? 0
                    let ms = Double(nowNanos() - started) / 1e6
                    state.withLock { state in
                        if status == 0 && state.edgeDying {
                            state.cutByEdgeKill += 1
                            return
                        }
                        state.counts[route.name, default: [:]][status, default: 0] += 1
                        if status != 200 { state.slowestFailureMs[route.name] = max(state.slowestFailureMs[route.name] ?? 0, ms) }
                    }
                }
                usleep(50_000)
            }
        }
        thread.name = "chaos-http"
        thread.start()
    }

    func stop() { state.withLock { $0.stopped = true } }

    /// Marks the window in which one edge is killed (see `State.edgeDying`).
    func edgeDying(_ dying: Bool) { state.withLock { $0.edgeDying = dying } }

    var cutByEdgeKill: Int { state.withLock { $0.cutByEdgeKill } }

    /// `login 200×812 503×20 (slowest failure 4 ms)`, one entry per route.
    var summary: [String] {
        state.withLock { state in
            state.counts.keys.sorted().map { name in
                let statuses = (state.counts[name] ?? [:]).sorted { $0.key < $1.key }.map {
                    "\($0.key == 0 ? "no answer" : String($0.key))×\($0.value)"
                }
                let slow = state.slowestFailureMs[name].map { String(format: " (slowest failure %.0f ms)", $0) } ?? ""
                return "\(name) " + statuses.joined(separator: " ") + slow
            }
        }
    }

    /// Requests that got no answer at all or a 5xx other than 502/503/504 (which are the documented outage answers).
    var unexpected: [String] {
        state.withLock { state in
            state.counts.flatMap { name, statuses in
                statuses.filter { $0.key == 0 || ($0.key >= 500 && ![502, 503, 504].contains($0.key)) }.map {
                    "\(name): \($0.value)× status \($0.key)"
                }
            }
        }
    }
}
