import Foundation
import Synchronization

/// A child process started with `posix_spawn`, for the launcher and the test harness.
///
/// Foundation's `Process`, called from Swift concurrency, starts children with the spawning worker thread's signal mask,
/// which blocks SIGTERM: such a child ignores a graceful stop. Here the child gets an empty mask (see `holdingStopSignals`) and default handlers,
/// inherits none of our descriptors beyond stdio, and is reaped only by this type.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let executable: String
    private let exit = Mutex<Int32?>(nil)

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable` with `arguments` and `environment`; stdout and stderr are appended to `outputPath`
    /// (or discarded when nil), stdin is /dev/null.
    ///
    /// `holdingStopSignals` starts it with SIGTERM and SIGINT blocked, so a stop sent while the dynamic loader still runs
    /// waits for `main`: only for Switchboard executables, whose first statement, `EarlySignals.hold()`, unblocks them.
    public init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String],
        outputPath: String?,
        holdingStopSignals: Bool = false
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc has addclosefrom_np since 2.34, but its header hides it from Swift.
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var childMask = sigset_t()
        sigemptyset(&childMask)
        if holdingStopSignals { EarlySignals.stopSignals.forEach { sigaddset(&childMask, $0) } }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &childMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.executable = executable
    }

    /// The exit status once the child has ended: its exit code, or 128 + the signal that killed it.
    public var exitStatus: Int32? {
        reap()
        return exit.withLock { $0 }
    }

    public var isRunning: Bool { exitStatus == nil }

    public func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }

    /// Blocks the calling thread until the child ends or `timeout` passes; true when it ended.
    @discardableResult
    public func waitForExit(timeout: Duration) -> Bool {
        let end = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= end { return false }
            usleep(5_000)
        }
        return true
    }

    /// Waits without blocking a thread until the child ends or `timeout` passes; true when it ended.
    public func exited(within timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= end { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// SIGTERM, then SIGKILL after `grace`; returns the exit status, or nil when it had to be killed.
    @discardableResult
    public func terminate(grace: Duration = .seconds(10)) async -> Int32? {
        signal(SIGTERM)
        if await exited(within: grace) { return exitStatus }
        kill9()
        return nil
    }

    /// SIGKILL and wait until it is gone.
    public func kill9() {
        signal(SIGKILL)
        waitForExit(timeout: .seconds(10))
    }

    private func reap() {
        exit.withLock { status in
            guard status == nil else { return }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                let signal = raw & 0x7f
                status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            } else if result < 0 && errno == ECHILD {
                status = -1
            }
        }
    }
}
