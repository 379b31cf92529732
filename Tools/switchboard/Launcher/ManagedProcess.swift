import Foundation
import ServiceKit

/// One child the launcher starts, watches and restarts: its command line, environment and log file.
final class ManagedProcess: @unchecked Sendable {
    // Only touched from the supervisor's single task; `@unchecked` because it is plain mutable state.
    let name: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let logPath: String
    let pidPath: String
    private(set) var process: ChildProcess?
    private(set) var restarts = 0

    /// Whether the child starts with SIGTERM/SIGINT blocked until its `EarlySignals.hold()` (see `ChildProcess`).
    let holdingStopSignals: Bool

    init(
        name: String,
        executable: String,
        arguments: [String] = [],
        environment: [String: String],
        logPath: String,
        pidPath: String,
        holdingStopSignals: Bool = false
    ) {
        self.holdingStopSignals = holdingStopSignals
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.logPath = logPath
        self.pidPath = pidPath
    }

    var pid: Int32? { process?.pid }
    var isRunning: Bool { process?.isRunning ?? false }
    var exitStatus: Int32? { process?.exitStatus }

    func start() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw LaunchError("\(executable) is missing: build first (make build)")
        }
        let process = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, outputPath: logPath, holdingStopSignals: holdingStopSignals)
        self.process = process
        try? "\(process.pid)\n".write(toFile: pidPath, atomically: true, encoding: .utf8)
    }

    func restart() throws {
        restarts += 1
        try start()
    }

    func stop(grace: Duration = .seconds(10)) async {
        guard let process, process.isRunning else { return }
        await process.terminate(grace: grace)
        try? FileManager.default.removeItem(atPath: pidPath)
    }
}

struct LaunchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
