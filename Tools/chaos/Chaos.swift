import ArgumentParser
import AuthTokens
import ClientKit
import Foundation
import Redis
import Synchronization

/// `switchboard-chaos`: DESIGN.md §6 under load, with numbers. Starts the real system (two edges on one port, Redis
/// with an AOF), puts idle, telemetry, chat and HTTP load on it, then `kill -9`s auth, menu, scheduler and signer in
/// turn, restarts Redis, and kills one edge; it measures disconnects, recovery times and lost messages and exits 1
/// when a promise of §6 is broken.
@main
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-chaos",
        abstract: "Kill every Switchboard process in turn under load and report disconnects, recovery times and lost messages."
    )

    @Option(help: "Directory of the built executables (default: this executable's).") var binaries = ChaosCommand.ownDirectory
    @Flag(help: "The CI-sized run: fewer clients, 1 s outages.") var short = false
    @Option(help: "Idle WebSocket connections.") var idle: Int?
    @Option(help: "Telemetry clients (one subscription group, 100 ms).") var telemetry: Int?
    @Option(help: "Room members besides the chat sender.") var members = 5
    @Option(help: "Chat messages per second from the sender.") var chatRate = 20
    @Option(help: "Seconds each service stays down.") var downtime: Double?
    @Option(help: "Seconds of load after each recovery before the next fault.") var settle: Double?
    @Option(help: "Redis appendfsync for the run: always (an ack is on disk), or everysec (the sender pauses > 1 s before the kill).")
    var redisFsync = "always"
    @Flag(help: "Keep the run dir (logs, AOF) even when everything passed.") var keepLogs = false

    static var ownDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    func validate() throws {
        guard ["always", "everysec"].contains(redisFsync) else { throw ValidationError("--redis-fsync is always or everysec") }
        guard members >= 1, chatRate >= 1 else { throw ValidationError("--members and --chat-rate must be at least 1") }
    }

    func run() async throws {
        let settings = ChaosSettings(
            idle: idle ?? (short ? 60 : 200), telemetry: telemetry ?? (short ? 20 : 50), members: members, chatRate: chatRate,
            downtime: downtime ?? (short ? 1 : 2), settle: settle ?? (short ? 1 : 3), fsync: redisFsync
        )
        let cluster = try ChaosCluster(binaries: binaries, fsync: redisFsync)
        let run = ChaosRun(cluster: cluster, settings: settings)
        var passed = false
        defer {
            cluster.stopAll(keepLogs: keepLogs || !passed)
            if !passed { print("logs kept in \(cluster.runDirectory)") }
        }
        do {
            try await run.execute()
        } catch {
            run.report.fail("the run stopped: \(error)")
        }
        run.report.print(settings: settings, binaries: binaries)
        passed = run.report.failures.isEmpty
        if !passed { throw ExitCode(1) }
    }
}

/// The sizes of one run.
struct ChaosSettings: Sendable {
    let idle: Int
    let telemetry: Int
    let members: Int
    let chatRate: Int
    let downtime: Double
    let settle: Double
    let fsync: String
}

/// The numbers of a run and every broken promise, printed at the end.
final class ChaosReport: Sendable {
    private struct State {
        var lines: [String] = []
        var failures: [String] = []
    }

    private let state = Mutex(State())

    func line(_ text: String) {
        Swift.print(text)
        state.withLock { $0.lines.append(text) }
    }

    func fail(_ text: String) {
        Swift.print("  FAIL: \(text)")
        state.withLock { $0.failures.append(text) }
    }

    func check(_ condition: Bool, _ text: @autoclosure () -> String) {
        if !condition { fail(text()) }
    }

    var failures: [String] { state.withLock { $0.failures } }

    func print(settings: ChaosSettings, binaries: String) {
        let (lines, failures) = state.withLock { ($0.lines, $0.failures) }
        Swift.print("\n==== chaos report ====")
        Swift.print("binaries: \(binaries); Redis appendfsync \(settings.fsync); outages \(settings.downtime) s")
        for line in lines { Swift.print(line) }
        if failures.isEmpty {
            Swift.print("RESULT: PASS")
        } else {
            Swift.print("RESULT: FAIL (\(failures.count))")
            for failure in failures { Swift.print("  - \(failure)") }
        }
    }
}

/// One chaos run: setup, the load, the faults in turn, the final checks.
final class ChaosRun: @unchecked Sendable {
    // Driven by the command's one task; `@unchecked` because the phase bookkeeping is plain mutable state. The sender
    // task only touches `fleet` and `chat`, which are thread-safe.
    let cluster: ChaosCluster
    let settings: ChaosSettings
    let report = ChaosReport()
    let fleet = ClientFleet()
    let chat = Mutex(ChatState())
    let room = "chaos"
    let loadUser = ("chaos-load", "chaos-load-password-1")
    var senderIndex = 0
    var tokens: [String: String] = [:]

    struct ChatState {
        var sent = 0
        var notSent = 0
        var paused = false
        var stopped = false
    }

    init(cluster: ChaosCluster, settings: ChaosSettings) {
        self.cluster = cluster
        self.settings = settings
    }

    var port: Int { cluster.httpPort }

    func execute() async throws {
        defer { fleet.stop() }
        try await startSystem()
        try await openClients()
        let load = HTTPLoad(
            port: port,
            routes: [
                .init(name: "login", method: "POST", path: "/api/auth/login", body: #"{"username":"\#(loadUser.0)","password":"\#(loadUser.1)"}"#),
                .init(name: "menu-version", method: "GET", path: "/api/menu/version", body: nil),
                .init(name: "getCode", method: "POST", path: "/getCode", body: HTTPLoad.getCodeBody()),
            ])
        load.start()
        defer { load.stop() }
        let sender = Task { await self.sendChat() }
        try await Task.sleep(for: .seconds(1))

        report.line(
            "phase       down ms  while down (status in ms)      back ms  telemetry back ms (max / median)  longest batch gap ms  disconnects")
        for service in ChaosCluster.services { try await servicePhase(service) }
        try await redisPhase()
        load.edgeDying(true)
        try await edgePhase()
        try await Task.sleep(for: .milliseconds(500))
        load.edgeDying(false)

        chat.withLock { $0.stopped = true }
        await sender.value
        try await Task.sleep(for: .seconds(1))
        load.stop()
        try await checkHistory()
        report.line("HTTP load: " + load.summary.joined(separator: "; ") + "; cut off by the edge kill: \(load.cutByEdgeKill)")
        for problem in load.unexpected { report.fail("HTTP load: \(problem)") }
        for crash in cluster.crashed() { report.fail("a process died on its own: \(crash)") }
        let health = await blocking { RawSocket.http(port: self.port, "GET", "/health")?.status }
        report.check(health == 200, "/health is \(health.map(String.init) ?? "silent") at the end")
    }

    // MARK: Setup

    func startSystem() async throws {
        try await cluster.startRedis()
        for name in ["signer-sim"] + ChaosCluster.services + ChaosCluster.edges { try cluster.start(name) }
        guard await waitFor(seconds: 60, { RawSocket.http(port: self.port, "GET", "/health")?.status == 200 }) != nil else {
            throw ChaosFailure("/health did not turn green; logs in \(cluster.runDirectory)")
        }
        guard await waitFor(seconds: 30, { self.probe("signer") }) != nil else { throw ChaosFailure("/getCode never answered 200") }
        let redis = cluster.redisClient()
        defer { redis.shutdown() }
        _ = try await redis.pipeline([
            ["HSET", "comsrv:1001:T", "1", "25.6", "2", "101.3"], ["HSET", "comsrv:1002:T", "1", "7.5"], ["HSET", "comsrv:1001:S", "1", "1"],
        ])
        let registered = await blocking {
            RawSocket.http(
                port: self.port, "POST", "/api/auth/register", body: #"{"username":"\#(self.loadUser.0)","password":"\#(self.loadUser.1)"}"#)?
                .status
        }
        guard registered == 201 else { throw ChaosFailure("registering \(loadUser.0) answered \(registered.map(String.init) ?? "nothing")") }
    }

    func token(_ user: String) async throws -> String {
        if let token = tokens[user] { return token }
        let authority = await TokenAuthority(secret: cluster.jwtSecret)
        let token = try await authority.issueAccess(user: user, roles: ["viewer"], lifetime: .seconds(3600)).token
        tokens[user] = token
        return token
    }

    func path(for index: Int, role: ClientFleet.Role) async throws -> String {
        switch role {
        case .idle, .telemetry: return "/ws"
        case .member: return "/ws?token=\(try await token("chaos-member-\(index)"))"
        case .sender: return "/ws?token=\(try await token("chaos-sender"))"
        }
    }

    /// What a client sends right after connecting: its subscription or its room.
    func greet(_ index: Int, role: ClientFleet.Role) {
        switch role {
        case .idle: break
        case .telemetry:
            _ = fleet.send(
                index,
                #"{"type":"subscribe","id":"sub\#(index)","data":{"channels":[1001,1002],"data_types":["T","S"],"interval":100}}"#)
        case .member, .sender:
            _ = fleet.send(index, #"{"type":"join_room","id":"join\#(index)","data":{"room":"\#(room)"}}"#)
        }
    }

    func openClients() async throws {
        var plan: [ClientFleet.Role] = Array(repeating: .idle, count: settings.idle)
        plan += Array(repeating: .telemetry, count: settings.telemetry)
        plan += Array(repeating: .member, count: settings.members)
        plan.append(.sender)
        for role in plan {
            let path = try await path(for: fleet.clients.count, role: role)
            guard let fd = await blocking({ try? RawSocket.openWebSocket(port: self.port, path: path, timeout: .seconds(5)) }) else {
                throw ChaosFailure("a \(role.rawValue) client could not connect")
            }
            let index = fleet.add(fd, role: role)
            if role == .sender { senderIndex = index }
            greet(index, role: role)
        }
        let ready = await waitFor(seconds: 30) {
            self.fleet.clients.allSatisfy { client in
                client.edge != nil && (client.role != .telemetry || client.subscribedAt != nil)
                    && ((client.role != .member && client.role != .sender) || client.joinedAt != nil)
            }
        }
        guard ready != nil else { throw ChaosFailure("not every client got its greeting, subscription or room in 30 s") }
        let byEdge = Dictionary(grouping: fleet.clients, by: { $0.edge ?? "?" }).mapValues(\.count).sorted { $0.key < $1.key }
        report.line(
            "load: \(settings.idle) idle, \(settings.telemetry) telemetry (one group, 100 ms), \(settings.members) room members + 1 sender "
                + "(\(settings.chatRate) msg/s), HTTP login/menu/getCode loop; clients per edge: "
                + byEdge.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }

    // MARK: Load

    func sendChat() async {
        var serial = 0
        let interval = Duration.seconds(1) / settings.chatRate
        while true {
            let (stopped, paused) = chat.withLock { ($0.stopped, $0.paused) }
            if stopped { return }
            if !paused {
                serial += 1
                let frame = #"{"type":"chat_message","id":"c\#(serial)","data":{"room":"\#(room)","content":"chaos message \#(serial)"}}"#
                let sent = fleet.send(senderIndex, frame)
                chat.withLock { sent ? ($0.sent += 1) : ($0.notSent += 1) }
            }
            try? await Task.sleep(for: interval)
        }
    }

    // MARK: Probes

    /// One request that succeeds only when `service` works end to end through the edge.
    func probe(_ service: String) -> Bool {
        switch service {
        case "auth":
            return RawSocket.http(
                port: port, "POST", "/api/auth/login", body: #"{"username":"\#(loadUser.0)","password":"\#(loadUser.1)"}"#)?.status == 200
        case "menu":
            return RawSocket.http(port: port, "GET", "/api/menu/version")?.status == 200
        case "signer":
            guard let answer = RawSocket.http(port: port, "POST", "/getCode", body: HTTPLoad.getCodeBody("probe")) else { return false }
            return answer.status == 200 && String(decoding: answer.body, as: UTF8.self).contains(#""code":200"#)
        default:
            return RawSocket.http(port: port, "GET", "/api/alarms")?.status == 200
        }
    }

    /// The status and latency of the service's probe request, for "fails fast with a clear error" while it is down.
    func probeStatus(_ service: String) -> (status: Int, ms: Double) {
        let started = nowNanos()
        let status: Int?
        switch service {
        case "auth":
            status =
                RawSocket.http(port: port, "POST", "/api/auth/login", body: #"{"username":"\#(loadUser.0)","password":"\#(loadUser.1)"}"#)?
                .status
        case "menu": status = RawSocket.http(port: port, "GET", "/api/menu/version")?.status
        case "signer": status = RawSocket.http(port: port, "POST", "/getCode", body: HTTPLoad.getCodeBody("probe"))?.status
        default: status = RawSocket.http(port: port, "GET", "/api/alarms")?.status
        }
        return (status ?? 0, Double(nowNanos() - started) / 1e6)
    }

    // MARK: Phases

    func servicePhase(_ service: String) async throws {
        let phaseStart = nowNanos()
        cluster.kill9(service)
        let killedAt = nowNanos()
        var whileDown: [(status: Int, ms: Double)] = []
        for _ in 0..<3 {
            whileDown.append(await blocking { self.probeStatus(service) })
            try await Task.sleep(for: .milliseconds(150))
        }
        let remaining = settings.downtime - Double(nowNanos() - killedAt) / 1e9
        if remaining > 0 { try await Task.sleep(for: .seconds(remaining)) }
        let downMs = Double(nowNanos() - killedAt) / 1e6
        try cluster.start(service)
        let restartAt = nowNanos()
        let back = await waitFor(seconds: 30, since: restartAt) { self.probe(service) }
        var telemetryBack = "—"
        if service == "scheduler" {
            telemetryBack = await telemetryRecovery(after: restartAt, limitMs: 1000, what: "after the scheduler restart")
            let ackAt = await waitFor(seconds: 10) { self.fleet.acked.values.contains { $0 > restartAt } }
            report.check(ackAt != nil, "no chat message was acknowledged within 10 s of the scheduler restart")
            if let first = fleet.acked.values.filter({ $0 > restartAt }).min() {
                telemetryBack += ", chat acked \(Int(Double(first - restartAt) / 1e6))"
            }
        }
        try await Task.sleep(for: .seconds(settings.settle))
        let phaseEnd = nowNanos()
        let gap = longestGap(from: phaseStart, to: phaseEnd)
        let disconnects = fleet.closed(since: phaseStart).count
        report.line(
            row(service, downMs: downMs, whileDown: whileDown, backMs: back, telemetryBack: telemetryBack, gapMs: gap, disconnects: disconnects))
        report.check(back != nil, "\(service) did not work again within 30 s of its restart")
        report.check(disconnects == 0, "\(disconnects) clients were disconnected while \(service) was killed and restarted")
        for answer in whileDown {
            report.check(
                [502, 503, 504].contains(answer.status) && answer.ms < 6_000,
                "while \(service) was down a request answered \(answer.status) in \(Int(answer.ms)) ms (expected a fast 503)")
        }
        if service != "scheduler" {
            report.check(gap <= 1_000, "telemetry stalled \(Int(gap)) ms while \(service) (not the scheduler) was down")
        }
    }

    func redisPhase() async throws {
        let accounts = (0..<10).map { ("chaos-account-\($0)", "chaos-password-\($0)") }
        for (user, password) in accounts {
            let status = await blocking {
                RawSocket.http(port: self.port, "POST", "/api/auth/register", body: #"{"username":"\#(user)","password":"\#(password)"}"#)?.status
            }
            report.check(status == 201, "registering \(user) before the Redis restart answered \(status.map(String.init) ?? "nothing")")
        }
        if settings.fsync == "everysec" {
            // With everysec an ack less than a second old may not be on disk yet: stop chatting and let the fsync happen.
            chat.withLock { $0.paused = true }
            try await Task.sleep(for: .milliseconds(1500))
        }
        let phaseStart = nowNanos()
        cluster.kill9("redis")
        let killedAt = nowNanos()
        var whileDown: [(status: Int, ms: Double)] = []
        for _ in 0..<2 {
            whileDown.append(await blocking { self.probeStatus("auth") })
            try await Task.sleep(for: .milliseconds(150))
        }
        let remaining = settings.downtime - Double(nowNanos() - killedAt) / 1e9
        if remaining > 0 { try await Task.sleep(for: .seconds(remaining)) }
        let downMs = Double(nowNanos() - killedAt) / 1e6
        try await cluster.startRedis()
        let restartAt = nowNanos()
        chat.withLock { $0.paused = false }
        let healthy = await waitFor(seconds: 30, since: restartAt) { RawSocket.http(port: self.port, "GET", "/health")?.status == 200 }
        let loginBack = await waitFor(seconds: 30, since: restartAt) { self.probe("auth") }
        let telemetryBack = await telemetryRecovery(after: restartAt, limitMs: 5000, what: "after the Redis restart")
        var ackBack: Double?
        if await waitFor(seconds: 30, { self.fleet.acked.values.contains { $0 > restartAt } }) != nil,
            let first = fleet.acked.values.filter({ $0 > restartAt }).min()
        {
            ackBack = Double(first - restartAt) / 1e6
        }
        var lostAccounts: [String] = []
        for (user, password) in accounts {
            let status = await blocking {
                RawSocket.http(port: self.port, "POST", "/api/auth/login", body: #"{"username":"\#(user)","password":"\#(password)"}"#)?.status
            }
            if status != 200 { lostAccounts.append("\(user) (\(status.map(String.init) ?? "no answer"))") }
        }
        try await Task.sleep(for: .seconds(settings.settle))
        let gap = longestGap(from: phaseStart, to: nowNanos())
        let disconnects = fleet.closed(since: phaseStart).count
        let backMs = [healthy, loginBack].compactMap { $0 }.max()
        report.line(
            row("redis", downMs: downMs, whileDown: whileDown, backMs: backMs, telemetryBack: telemetryBack, gapMs: gap, disconnects: disconnects))
        report.line(
            "redis: /health green \(ms(healthy)) ms, login \(ms(loginBack)) ms, chat acked again \(ms(ackBack)) ms after the restart; "
                + "accounts registered before: \(accounts.count), lost: \(lostAccounts.count)")
        report.check(healthy != nil && loginBack != nil && ackBack != nil, "the services did not all recover within 30 s of the Redis restart")
        report.check(lostAccounts.isEmpty, "accounts lost in the Redis restart: \(lostAccounts)")
        report.check(disconnects == 0, "\(disconnects) clients were disconnected by the Redis restart")
    }

    func edgePhase() async throws {
        let clients = fleet.clients
        let onB = clients.indices.filter { clients[$0].edge == "edge-b" && clients[$0].closedAt == nil }
        let onA = clients.indices.filter { clients[$0].edge == "edge-a" && clients[$0].closedAt == nil }
        guard !onB.isEmpty else {
            report.fail("no client landed on edge-b (SO_REUSEPORT did not spread connections)")
            return
        }
        let phaseStart = nowNanos()
        cluster.kill9("edge-b")
        let dropped = await waitFor(seconds: 10) { Set(self.fleet.closed(since: phaseStart)).isSuperset(of: onB) }
        let closedNow = Set(fleet.closed(since: phaseStart))
        let droppedOnA = closedNow.intersection(onA).count
        // Reconnect everyone edge-b had; the port is the same, so only edge-a can answer.
        var reconnected = 0
        var reconnectFailures = 0
        for index in onB {
            let role = clients[index].role
            let path = try await path(for: index, role: role)
            guard let fd = await blocking({ try? RawSocket.openWebSocket(port: self.port, path: path, timeout: .seconds(5)) }) else {
                reconnectFailures += 1
                continue
            }
            fleet.replace(index, with: fd)
            greet(index, role: role)
            reconnected += 1
        }
        let settled = await waitFor(seconds: 10) {
            let now = self.fleet.clients
            return onB.allSatisfy { index in
                let client = now[index]
                guard client.closedAt == nil, client.edge != nil else { return false }
                switch client.role {
                case .idle: return true
                case .telemetry: return client.batches.last.map { $0 > phaseStart } ?? false
                case .member, .sender: return client.joinedAt != nil
                }
            }
        }
        let onOther = fleet.clients.enumerated().filter { onB.contains($0.offset) && $0.element.edge == "edge-a" }.count
        report.line(
            "edge-b kill -9: \(onB.count) of its clients dropped in \(ms(dropped)) ms, \(droppedOnA) of edge-a's \(onA.count) dropped; "
                + "\(reconnected)/\(onB.count) reconnected to edge-a (\(onOther) greeted by edge-a), subscriptions and rooms back \(ms(settled)) ms after the kill"
        )
        report.check(dropped != nil, "not every client of edge-b saw its connection end")
        report.check(droppedOnA == 0, "\(droppedOnA) clients of edge-a were disconnected when edge-b died")
        report.check(
            reconnectFailures == 0 && settled != nil, "\(reconnectFailures) clients could not reconnect, or did not get data back within 10 s")
        try cluster.start("edge-b")
    }

    func checkHistory() async throws {
        let acked = fleet.acked
        let redis = cluster.redisClient()
        defer { redis.shutdown() }
        let entries = try await redis.send(["XRANGE", "room:\(room):history", "-", "+"]).array ?? []
        var stored = Set<String>()
        for entry in entries {
            guard let fields = entry.array?.last?.array else { continue }
            var index = 0
            while index + 1 < fields.count {
                if fields[index].text == "client", let id = fields[index + 1].text { stored.insert(id) }
                index += 2
            }
        }
        let lost = acked.keys.filter { !stored.contains($0) }.sorted()
        let (sent, notSent) = chat.withLock { ($0.sent, $0.notSent) }
        let errors = fleet.chatErrors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        report.line(
            "chat: sent \(sent), acknowledged \(acked.count), refused with an error \(fleet.chatErrors.values.reduce(0, +)) (\(errors)), "
                + "not sendable (sender's edge gone) \(notSent), delivered to members \(fleet.deliveries), in history \(stored.count), "
                + "acknowledged and lost \(lost.count)")
        for (code, sample) in fleet.chatErrorSamples.sorted(by: { $0.key < $1.key }) { report.line("  chat refusal \(code), e.g. \(sample)") }
        report.check(lost.isEmpty, "acknowledged chat messages missing from the room history: \(lost.prefix(20))")
        report.check(acked.count > 0, "no chat message was ever acknowledged")
    }

    // MARK: Measures

    /// Waits until every telemetry client has a batch after `instant`; returns "max / median" ms and checks `limitMs`.
    func telemetryRecovery(after instant: UInt64, limitMs: Double, what: String) async -> String {
        _ = await waitFor(seconds: 10) {
            self.fleet.clients.filter { $0.role == .telemetry && $0.closedAt == nil }.allSatisfy { ($0.batches.last ?? 0) > instant }
        }
        let delays = fleet.clients.filter { $0.role == .telemetry }.map { client -> Double in
            guard let first = client.batches.first(where: { $0 > instant }) else { return .infinity }
            return Double(first - instant) / 1e6
        }.sorted()
        guard let worst = delays.last else { return "—" }
        report.check(worst <= limitMs, "telemetry came back \(worst.isFinite ? "\(Int(worst)) ms" : "never") \(what) (limit \(Int(limitMs)) ms)")
        return "\(worst.isFinite ? String(Int(worst)) : "never") / \(Int(delays[delays.count / 2]))"
    }

    /// The longest time any telemetry client waited for a batch between `start` and `end`.
    func longestGap(from start: UInt64, to end: UInt64) -> Double {
        var worst: UInt64 = 0
        for client in fleet.clients where client.role == .telemetry {
            var previous = client.batches.last { $0 <= start } ?? start
            for arrival in client.batches where arrival > start && arrival <= end {
                worst = max(worst, arrival - previous)
                previous = arrival
            }
            worst = max(worst, end - previous)
        }
        return Double(worst) / 1e6
    }

    func row(
        _ name: String, downMs: Double, whileDown: [(status: Int, ms: Double)], backMs: Double?, telemetryBack: String, gapMs: Double,
        disconnects: Int
    )
        -> String
    {
        let down = whileDown.map { "\($0.status) in \(Int($0.ms))" }.joined(separator: ", ")
        return [
            pad(name, 11), pad(String(Int(downMs)), 8), pad(down, 30), pad(ms(backMs), 8), pad(telemetryBack, 33), pad(String(Int(gapMs)), 21),
            String(disconnects),
        ].joined(separator: " ")
    }

    func ms(_ value: Double?) -> String { value.map { String(Int($0)) } ?? "never" }

    func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }

    // MARK: Waiting

    /// Polls `condition` (blocking work allowed, off the cooperative pool) every 20 ms; returns the ms it took, or nil.
    /// `since` (default: now) is the instant the returned time is measured from.
    func waitFor(seconds: Double, since: UInt64? = nil, _ condition: @escaping @Sendable () -> Bool) async -> Double? {
        let start = nowNanos()
        let end = start + UInt64(seconds * 1e9)
        while nowNanos() < end {
            if await blocking(condition) { return Double(nowNanos() - (since ?? start)) / 1e6 }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Runs blocking socket work on its own thread.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
