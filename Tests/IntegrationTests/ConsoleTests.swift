import Foundation
import Redis
import ServiceKit
import TestSupport
import Testing

/// The console at `/` driven in real headless Chromium over the DevTools protocol, against a real cluster with live
/// seeded telemetry: log in, connect, subscribe and watch values change and chart, send control, chat with a second
/// (plain WebSocket) client, ask a question, see a live `menu_update`, and see an `error` frame shown. The screenshot is
/// kept at `.build-artifacts/console.png`.
@Suite("Live console", .serialized, .timeLimit(.minutes(3)))
struct ConsoleTests {
    static let admin = "console-admin"
    static let password = "Console-test-pw-2024!"

    @Test func theConsolePageAndItsScriptAndStyleComeFromThisEdgeOnly() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let page = try await cluster.http("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        let html = page.text
        for id in [
            "login-user", "login-pass", "login-submit", "login-anon", "conn-status", "sub-channels", "sub-type-T", "sub-interval", "sub-source",
            "sub-submit", "values-body", "chart", "chart-key", "ctl-channel", "ctl-point", "ctl-value", "ctl-type", "ctl-submit",
            "ctl-result", "room-name", "room-join", "room-members", "chat-input", "chat-send", "chat-log", "ask-input", "ask-submit",
            "ask-log", "menu-version", "menu-updates", "error-banner", "frame-log",
        ] {
            #expect(html.contains("id=\"\(id)\""), "the page has #\(id)")
        }
        // Offline: no external script, style, image or font; no inline script may run.
        #expect(html.range(of: #"(src|href)\s*=\s*"(https?:)?//"#, options: .regularExpression) == nil)
        let policy = page.headers["content-security-policy"] ?? ""
        #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(policy)")
        // The script and style the page names are served by the edge, as files with their media types.
        #expect(html.contains(#"<script src="/assets/console.js"></script>"#))
        #expect(html.contains(#"<link rel="stylesheet" href="/assets/console.css">"#))
        let script = try await cluster.http("GET", "/assets/console.js")
        #expect(script.status == 200 && script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.text.contains("new WebSocket("), "the console script opens the WebSocket")
        let style = try await cluster.http("GET", "/assets/console.css")
        #expect(style.status == 200 && style.headers["content-type"] == "text/css; charset=utf-8")
        #expect(style.text.contains("#conn-status"))
        // Only those two names answer: nothing else of the bundle or the disk is reachable.
        for name in ["openapi.json", "console.html", "..%2Fconsole.html", "%2e%2e%2fetc%2fpasswd", "nothing.js"] {
            let other = try await cluster.http("GET", "/assets/\(name)")
            #expect(other.status == 404, "/assets/\(name) answers \(other.status)")
        }
    }

    @Test func theConsoleDrivenInChromiumShowsDataChatsAndErrors() async throws {
        let browser = try HeadlessChromium.locate()
        let cluster = try await Cluster.start(
            environment: [
                "SWITCHBOARD_ADMIN_USER": Self.admin, "SWITCHBOARD_ADMIN_PASSWORD": Self.password,
                "SWITCHBOARD_MESSAGE_RATE": "200", "SWITCHBOARD_MESSAGE_BURST": "200",
            ])
        defer { cluster.shutdown() }
        try cluster.start(
            "switchboard", as: "seed",
            arguments: ["seed", "--channels", "2", "--points", "6", "--types", "T,S", "--live", "--rate", "4", "--duration", "150"])
        let token = try await Self.waitForAdminLogin(cluster)

        // A second, plain client in the room, to see the console's chat arrive and to talk back.
        let bob = try await TestWebSocket.connect(port: cluster.httpPort, token: try await TestTokens.access("bob"))
        defer { Task { await bob.close() } }
        _ = await bob.next(type: "connection_established")
        bob.send(#"{"type":"join_room","id":"bj","data":{"room":"lobby"}}"#)
        #expect(await bob.next(type: "room_joined") != nil)

        let chromium = try await HeadlessChromium.launch(browser, logPath: "\(cluster.runDirectory)/chromium.log")
        defer { chromium.shutdown() }
        try await chromium.open(cluster.baseURL.absoluteString + "/")
        try await chromium.waitFor("the page script ran", "document.getElementById('login-status').textContent.startsWith('not logged in')")
        try await chromium.waitFor("the menu version is shown", "document.getElementById('menu-version').textContent.startsWith('version ')")

        // Log in: the page gets a token from /api/auth/login and connects with it.
        try await chromium.run(
            """
            document.getElementById('login-user').value = '\(Self.admin)';
            document.getElementById('login-pass').value = '\(Self.password)';
            document.getElementById('login-submit').click();
            """)
        try await chromium.waitFor(
            "connected as the admin",
            "document.getElementById('conn-status').dataset.state === 'open' "
                + "&& document.getElementById('conn-status').textContent.includes('connected as \(Self.admin)')")

        // Subscribe: values fill the table, change, and the chart collects samples.
        try await chromium.run(
            """
            document.getElementById('sub-channels').value = '1001, 1002';
            document.getElementById('sub-type-T').checked = true;
            document.getElementById('sub-type-S').checked = true;
            document.getElementById('sub-interval').value = '500';
            document.getElementById('sub-submit').click();
            """)
        try await chromium.waitFor("subscribe_ack", "document.getElementById('sub-status').textContent.startsWith('subscribed to 1001, 1002')")
        let cell = "document.querySelector('#values-body tr[data-key=\"comsrv:1001:T:1\"] td.value')"
        try await chromium.waitFor("a value in the table", "!!\(cell) && \(cell).textContent !== ''")
        let rows = try await chromium.evaluate("document.querySelectorAll('#values-body tr').length") as? Int
        #expect(rows == 24, "2 channels × 2 types × 6 points")
        let first = try await chromium.evaluate("\(cell).textContent") as? String ?? ""
        #expect(Double(first) != nil, "T values are numbers: \(first)")
        try await chromium.waitFor("the value changes", "\(cell).textContent !== '\(first)'")
        try await chromium.waitFor(
            "the chart has samples", "Number((document.getElementById('chart-caption').textContent.match(/(\\d+) samples/) || [0, 0])[1]) >= 5")

        let caption = try await chromium.evaluate("document.getElementById('chart-caption').textContent") as? String ?? ""
        #expect(caption.hasPrefix("comsrv:1001:T:1 · last "), "the chart shows the first telemetry point: \(caption)")

        // Chromium offers permessage-deflate by default and the edge agrees; the batches the table shows came compressed
        // (the only client reading data batches here is the browser).
        let extensions =
            try await chromium.evaluate(
                """
                new Promise((resolve) => {
                  const probe = new WebSocket('ws://' + location.host + '/ws');
                  probe.onopen = () => { resolve(probe.extensions); probe.close(); };
                  probe.onerror = () => resolve('error');
                })
                """) as? String
        #expect(
            extensions?.hasPrefix("permessage-deflate; server_no_context_takeover") == true, "Chromium negotiated \(extensions ?? "nothing")")
        #expect(try await Self.compressedFramesSent(cluster) > 0, "the edge sent the browser no compressed frame")

        // Control: the ack is shown, and the command is queued for the field side.
        try await chromium.run(
            """
            document.getElementById('ctl-channel').value = '1001';
            document.getElementById('ctl-point').value = '3';
            document.getElementById('ctl-value').value = '0';
            document.getElementById('ctl-type').value = 'C';
            document.getElementById('ctl-submit').click();
            """)
        try await chromium.waitFor("control_ack", "document.getElementById('ctl-result').textContent.includes('executed · actual value 0')")
        let redis = RedisClient(configuration: try RedisConfiguration(url: cluster.redis.url))
        defer { redis.shutdown() }
        let queued = try await redis.send(["LRANGE", "comsrv:1001:C:TODO", "0", "-1"]).array?.compactMap(\.text) ?? []
        #expect(queued.count == 1 && queued.first?.contains("\"point_id\":3") == true, "\(queued)")

        // Rooms: join (bob is there), chat both ways.
        try await chromium.run("document.getElementById('room-name').value = 'lobby'; document.getElementById('room-join').click();")
        try await chromium.waitFor("room_joined", "document.getElementById('room-status').textContent === 'in room lobby'")
        try await chromium.waitFor(
            "both members listed", "[...document.querySelectorAll('#room-members li')].map(e => e.textContent).join(',') === 'bob,\(Self.admin)'")
        try await chromium.run(
            "document.getElementById('chat-input').value = 'hello from the console'; document.getElementById('chat-send').click();")
        try await chromium.waitFor(
            "the chat message in the chat pane",
            "[...document.querySelectorAll('#chat-log .chat-line')].some(e => "
                + "e.querySelector('.chat-content').textContent === 'hello from the console' "
                + "&& e.querySelector('.chat-user').textContent === '\(Self.admin):')")
        let heard = await bob.next(type: "chat_message")
        #expect((heard?["data"] as? [String: Any])?["content"] as? String == "hello from the console")
        bob.send(#"{"type":"chat_message","id":"b1","data":{"room":"lobby","content":"hi console, bob here"}}"#)
        try await chromium.waitFor(
            "bob's message in the chat pane",
            "[...document.querySelectorAll('#chat-log .chat-content')].some(e => e.textContent === 'hi console, bob here')")

        // A question is accepted at once (answers need a worker, which this cluster does not run).
        try await chromium.run("document.getElementById('ask-input').value = 'How do I join a room?'; document.getElementById('ask-submit').click();")
        try await chromium.waitFor("question_accepted", "document.getElementById('ask-log').textContent.includes('accepted: task ')")

        // A menu change made elsewhere arrives live as menu_update.
        let put = try await cluster.http(
            "PUT", "/api/menu/console-demo", body: Data(#"{"name":"Console demo","url":"/demo","reason":"console test"}"#.utf8),
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"])
        #expect(put.status == 201, "\(put.text)")
        try await chromium.waitFor("menu_update", "document.getElementById('menu-updates').textContent.includes('created Console demo')")

        // A malformed frame: the error is shown clearly, and the connection stays up.
        try await chromium.run(
            #"document.getElementById('raw-input').value = '{"type":"no_such_frame","id":"bad_1","data":{}}';"#
                + "document.getElementById('raw-send').click();")
        try await chromium.waitFor(
            "the error banner",
            "!document.getElementById('error-banner').hidden && document.getElementById('error-text').textContent.includes('bad_1')")
        #expect(try await chromium.evaluate("document.getElementById('conn-status').dataset.state") as? String == "open")

        let path = try await chromium.screenshot(to: Self.artifactPath)
        print("console screenshot: \(path)")
        #expect(chromium.pageErrors.isEmpty, "the page threw or logged errors: \(chromium.pageErrors)")
    }

    static var artifactPath: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-artifacts/console.png")
    }

    /// Auth creates the admin from the environment shortly after it starts; returns the admin's access token.
    /// `switchboard_ws_compressed_frames_out_total` from /metrics, polled until it is above 0 (the edge adds its
    /// counters to Prometheus every 5 s) or 15 s have passed.
    static func compressedFramesSent(_ cluster: Cluster) async throws -> Double {
        let end = ContinuousClock.now + .seconds(15)
        var count = 0.0
        while ContinuousClock.now < end {
            let text = try await cluster.http("GET", "/metrics", timeout: 5).text
            let line = text.split(separator: "\n").first { $0.hasPrefix("switchboard_ws_compressed_frames_out_total") }
            count = line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
            if count > 0 { return count }
            try await Task.sleep(for: .milliseconds(500))
        }
        return count
    }

    static func waitForAdminLogin(_ cluster: Cluster) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["username": admin, "password": password])
        let end = ContinuousClock.now + .seconds(20)
        var last = ""
        while ContinuousClock.now < end {
            if let answer = try? await cluster.http("POST", "/api/auth/login", body: body, headers: ["Content-Type": "application/json"]) {
                if answer.status == 200, let token = try answer.json()["access_token"] as? String { return token }
                last = "\(answer.status) \(answer.text)"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("the admin from SWITCHBOARD_ADMIN_USER could not log in within 20 s: \(last)\n\(cluster.log("auth").suffix(1500))")
    }
}

/// Headless Chromium (Debian's `chromium`) under the DevTools protocol, spoken over the tests' own WebSocket client.
///
/// It runs with a throwaway profile and `--remote-debugging-port=0`, reading the port Chromium chose from the profile's
/// `DevToolsActivePort`, so parallel tests never collide; a fresh page target is made over the browser's own endpoint.
/// `shutdown()` ends it and any helper process still using its profile, by PID.
final class HeadlessChromium {
    let process: ChildProcess
    let profile: String
    let logPath: String
    private let socket: TestWebSocket
    private var nextID = 0
    private(set) var events: [[String: Any]] = []

    private init(process: ChildProcess, profile: String, logPath: String, socket: TestWebSocket) {
        self.process = process
        self.profile = profile
        self.logPath = logPath
        self.socket = socket
    }

    /// The browser executable: `SWITCHBOARD_CHROMIUM`, else `chromium` (or a Chrome) on the PATH; a clear failure when absent.
    static func locate() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["SWITCHBOARD_CHROMIUM"], !given.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: given) else { throw HarnessError("SWITCHBOARD_CHROMIUM=\(given) is not executable") }
            return given
        }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin", "/snap/bin"]
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        throw HarnessError(
            "the console test needs headless Chromium and none is installed: run `apt-get install -y chromium` "
                + "(or `make deps`, which installs it), or set SWITCHBOARD_CHROMIUM to a Chromium or Chrome executable")
    }

    static func launch(_ executable: String, logPath: String, timeout: Duration = .seconds(30)) async throws -> HeadlessChromium {
        let profile = "/tmp/sb-chromium-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        let arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-component-update", "--mute-audio",
            "--hide-scrollbars", "--user-data-dir=\(profile)", "--remote-debugging-port=0", "--remote-allow-origins=*",
            "--window-size=1280,1000", "about:blank",
        ]
        let process = try ChildProcess(
            executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment, outputPath: logPath)
        func fail(_ message: String) -> HarnessError {
            process.kill9()
            Self.killLeftovers(profile: profile)
            try? FileManager.default.removeItem(atPath: profile)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return HarnessError("\(message)\nchromium log:\n\(log.suffix(2000))")
        }
        // DevToolsActivePort holds the chosen port and the browser target's path; a page target is created through it.
        let end = ContinuousClock.now + timeout
        var endpoint: (port: Int, path: String)?
        while endpoint == nil {
            if let text = try? String(contentsOfFile: "\(profile)/DevToolsActivePort", encoding: .utf8) {
                let lines = text.split(separator: "\n").map(String.init)
                if lines.count >= 2, let port = Int(lines[0]) { endpoint = (port, lines[1]) }
            }
            if endpoint != nil { break }
            if !process.isRunning { throw fail("chromium exited with status \(process.exitStatus ?? -1) before opening its DevTools port") }
            if ContinuousClock.now >= end { throw fail("chromium did not open its DevTools port within \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard let endpoint else { throw fail("no DevTools port") }
        let targetID: String
        do {
            let browserSocket = try await TestWebSocket.connect(port: endpoint.port, path: endpoint.path, timeout: .seconds(10))
            defer { Task { await browserSocket.close() } }
            try browserSocket.send(json: ["id": 1, "method": "Target.createTarget", "params": ["url": "about:blank"]])
            var created: String?
            while created == nil, ContinuousClock.now < end {
                guard let text = await browserSocket.next(timeout: end - .now) else { break }
                let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
                if message["id"] as? Int == 1 { created = (message["result"] as? [String: Any])?["targetId"] as? String ?? "" }
            }
            guard let created, !created.isEmpty else { throw HarnessError("Target.createTarget gave no target") }
            targetID = created
        } catch {
            throw fail("cannot create a page through DevTools at \(endpoint.port)\(endpoint.path): \(error)")
        }
        let socket: TestWebSocket
        do {
            socket = try await TestWebSocket.connect(port: endpoint.port, path: "/devtools/page/\(targetID)", timeout: .seconds(10))
        } catch {
            throw fail("cannot open the DevTools WebSocket of page \(targetID): \(error)")
        }
        let browser = HeadlessChromium(process: process, profile: profile, logPath: logPath, socket: socket)
        _ = try await browser.call("Page.enable")
        _ = try await browser.call("Runtime.enable")
        return browser
    }

    /// One DevTools command; events that arrive meanwhile are kept in `events`.
    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        nextID += 1
        let id = nextID
        try socket.send(json: ["id": id, "method": method, "params": params])
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            guard let text = await socket.next(timeout: end - .now) else { break }
            guard let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
            if message["id"] as? Int == id {
                if let error = message["error"] as? [String: Any] { throw HarnessError("DevTools \(method) failed: \(error)") }
                return message["result"] as? [String: Any] ?? [:]
            }
            if message["method"] != nil { events.append(message) }
        }
        throw HarnessError("DevTools \(method) got no answer within \(timeout)")
    }

    func open(_ url: String) async throws {
        let result = try await call("Page.navigate", ["url": url])
        if let error = result["errorText"] as? String { throw HarnessError("navigating to \(url) failed: \(error)") }
        try await waitFor("\(url) loaded", "document.readyState === 'complete'")
    }

    /// Evaluates `expression` in the page and returns its value (JSON-compatible values only).
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let description = ((exception["exception"] as? [String: Any])?["description"] as? String) ?? "\(exception)"
            throw HarnessError("the page threw evaluating `\(expression.prefix(200))`: \(description)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Runs statements in the page.
    func run(_ statements: String) async throws {
        _ = try await evaluate("(() => { \(statements)\n return true; })()")
    }

    /// Polls `expression` until it is `true`; on timeout, fails naming what was awaited, with the page's status lines
    /// and its newest frames.
    func waitFor(_ what: String, _ expression: String, timeout: Duration = .seconds(15)) async throws {
        let end = ContinuousClock.now + timeout
        var lastError = ""
        while ContinuousClock.now < end {
            do {
                if try await evaluate(expression) as? Bool == true { return }
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let state =
            (try? await evaluate(
                "['conn-status','login-status','sub-status','ctl-result','room-status','menu-version','error-text']"
                    + ".map(id => id + ': ' + (document.getElementById(id) || {}).textContent).join('\\n') + '\\nframes:\\n' + "
                    + "[...document.querySelectorAll('#frame-log li')].slice(0, 12).map(e => e.textContent).join('\\n')") as? String) ?? "unavailable"
        throw HarnessError("waited \(timeout) for \(what): `\(expression)` never became true. \(lastError)\npage state:\n\(state)")
    }

    /// A PNG of the whole page, written to `url` (directories created); returns the path.
    func screenshot(to url: URL) async throws -> String {
        let metrics = try await call("Page.getLayoutMetrics")
        let content = (metrics["cssContentSize"] as? [String: Any]) ?? (metrics["contentSize"] as? [String: Any]) ?? [:]
        let height = min(max((content["height"] as? Double).map { Int($0.rounded(.up)) } ?? 1000, 600), 6000)
        try await call("Emulation.setDeviceMetricsOverride", ["width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false])
        try await Task.sleep(for: .milliseconds(300))
        let shot = try await call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": false])
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else { throw HarnessError("no screenshot data") }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url.path
    }

    /// Uncaught exceptions and `console.error` calls seen so far.
    var pageErrors: [String] {
        events.compactMap { event in
            let params = event["params"] as? [String: Any] ?? [:]
            switch event["method"] as? String {
            case "Runtime.exceptionThrown":
                return "\((params["exceptionDetails"] as? [String: Any])?["text"] ?? params)"
            case "Runtime.consoleAPICalled" where params["type"] as? String == "error":
                return "\(params["args"] ?? params)"
            default:
                return nil
            }
        }
    }

    func shutdown() {
        process.signal(SIGTERM)
        if !process.waitForExit(timeout: .seconds(5)) { process.kill9() }
        Self.killLeftovers(profile: profile)
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Chromium's helper processes (zygote, renderer, GPU) carry the profile path on their command line: end those, by PID.
    static func killLeftovers(profile: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            if String(decoding: raw, as: UTF8.self).contains("--user-data-dir=\(profile)") { kill(pid, SIGKILL) }
        }
    }
}
