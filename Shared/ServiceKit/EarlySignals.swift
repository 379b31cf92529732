import CEarlySignals
import Foundation
import ServiceLifecycle

/// SIGTERM and SIGINT handled from the first instruction of `main`, so a stop at any moment of start-up drains and exits 0.
///
/// A `ServiceGroup` only listens for signals once `run()` has registered its dispatch sources; until then (loading the
/// configuration, binding sockets, a slow start on a loaded machine) SIGTERM's default action would kill the process
/// with status 143 and nothing drained. Blocking the signals does not help on Linux: libdispatch's `dispatch_main` gives the
/// main thread an empty signal mask, so a blocked signal is delivered there with the default action anyway.
///
/// Instead `hold()` installs a handler that only remembers the signal, and `Replay` — a service of the group, so it runs
/// after the group's signal sources are registered (and have replaced the handler) — raises it again: the group then
/// shuts down gracefully as if the signal had come just now. A second signal before that stops the process the default
/// way, so two Ctrl-C still end a process stuck in start-up.
///
/// A spawner may start the process with both signals blocked (`ChildProcess(holdingStopSignals: true)`) to cover even
/// the time before `main` (the dynamic loader, and the moment libdispatch's `dispatch_main` empties the mask before the
/// async `main` runs): then a load-time constructor (`CEarlySignals`) installs the handler before any of that, and
/// `hold()` unblocks the signals.
public enum EarlySignals {
    public static let stopSignals: [Int32] = [SIGTERM, SIGINT]

    /// Call as the very first statement of `main`, before any thread or await.
    public static func hold() {
        cearly_signals_install()
        var mask = sigset_t()
        sigemptyset(&mask)
        for number in stopSignals { sigaddset(&mask, number) }
        // A signal the spawner held back is delivered here, to the handler already installed.
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// The stop signal that arrived before anyone listened, if one did; it is forgotten once taken.
    public static func takeEarlySignal() -> Int32? {
        let number = cearly_signals_take()
        return number == 0 ? nil : number
    }

    /// Raises again the signal that arrived during start-up, once the `ServiceGroup` it belongs to is listening (a group
    /// registers its signal sources before it starts any service). Add it to every group that traps SIGTERM/SIGINT.
    public struct Replay: Service {
        public init() {}

        public func run() async {
            if let number = EarlySignals.takeEarlySignal() { kill(getpid(), number) }
        }
    }

    /// `Replay` as a group member whose end never stops the group.
    public static var replayService: ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: Replay(), successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
    }
}
