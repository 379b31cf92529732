import ArgumentParser
import Foundation
import ServiceKit
import SwitchboardProtocol

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start Redis and all Switchboard processes; Ctrl-C stops them.",
        discussion: "Files go under SWITCHBOARD_RUN_DIR (default ./.run): logs/, pids/, redis/ (AOF), the ipc sockets and locks."
    )

    @Flag(help: "Run in the background; `switchboard down` stops it.")
    var detach = false

    @Option(help: "How many ws-edge processes to start on the HTTP port (more than one shares it with SO_REUSEPORT).")
    var edges = 1

    @Option(help: "Seconds to wait for /health to turn green.")
    var wait = 60

    func run() async throws {
        let layout = Layout()
        do {
            try layout.config.validate()
        } catch {
            throw LaunchError(error.description)
        }
        try layout.prepare()
        if let keys = try Keys.ensureForTCP(layout.config) { print("switchboard: tcp:// endpoints: CURVE keys created in \(keys)") }
        if let pid = ProcessTools.readPID(layout.supervisorPIDFile), ProcessTools.isAlive(pid) {
            throw LaunchError("Switchboard is already running (launcher pid \(pid)); `switchboard down` stops it.")
        }
        if detach {
            try await startDetached(layout)
        } else {
            try await runForeground(layout)
        }
    }

    private func runForeground(_ layout: Layout) async throws {
        let signals = SignalStream.make()
        try "\(getpid())\n".write(toFile: layout.supervisorPIDFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: layout.supervisorPIDFile) }
        let supervisor = Supervisor(layout: layout, edges: edges)
        do {
            try await supervisor.start()
        } catch {
            await supervisor.stopAll()
            throw error
        }
        let answer = await HealthClient.waitUntilHealthy(layout.healthURL, timeout: .seconds(wait))
        if answer?.status == 200 {
            printBanner(layout)
        } else {
            print("switchboard: /health is not green after \(wait) s: \(answer?.body ?? "no answer"); see \(layout.logs)/")
        }
        print("Ctrl-C stops everything.")
        await supervisor.supervise(until: signals)
        print("switchboard: stopped")
    }

    private func startDetached(_ layout: Layout) async throws {
        let log = "\(layout.logs)/switchboard.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let arguments = ["up", "--edges", String(edges), "--wait", String(wait)]
        // setsid detaches the launcher from the terminal's process group, so the shell's Ctrl-C does not reach it.
        let useSetsid = FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid")
        _ = try ChildProcess(
            executable: useSetsid ? "/usr/bin/setsid" : me,
            arguments: useSetsid ? [me] + arguments : arguments,
            environment: ProcessInfo.processInfo.environment,
            outputPath: log
        )
        let answer = await HealthClient.waitUntilHealthy(layout.healthURL, timeout: .seconds(wait))
        guard answer?.status == 200 else {
            throw LaunchError("/health is not green after \(wait) s: \(answer?.body ?? "no answer"); see \(log)")
        }
        printBanner(layout)
        print("Running in the background; `switchboard status` shows it, `switchboard down` stops it.")
    }

    private func printBanner(_ layout: Layout) {
        let port = layout.httpPort
        print(
            """
            Switchboard \(SwitchboardVersion.current) is up
              HTTP + WebSocket  http://127.0.0.1:\(port)   (WebSocket: ws://127.0.0.1:\(port)/ws)
              Health            http://127.0.0.1:\(port)/health
              Redis             \(layout.redisURL)\(layout.externalRedisURL == nil ? "  (data in \(layout.redisData), AOF on)" : "")
              Logs              \(layout.logs)/
            """
        )
        let passwordFile = AdminPassword.path(in: layout.runDirectory)
        if FileManager.default.fileExists(atPath: passwordFile) {
            print(
                """
                  Admin login       curl -s -X POST http://127.0.0.1:\(port)/api/auth/login -H 'Content-Type: application/json' \\
                                      -d "{\\"username\\":\\"\(AdminPassword.user)\\",\\"password\\":\\"$(cat '\(passwordFile)')\\"}"
                """
            )
        }
    }
}
