import ArgumentParser
import ServiceKit

extension AsyncParsableCommand {
    /// The generated `main` with SIGTERM/SIGINT held from the first instruction (see `EarlySignals`) when `holding` says
    /// so, so a stop that arrives while the command is still starting is kept for its service group instead of
    /// killing it undrained. A tool's own `static func main()` calls this.
    public static func mainHoldingStopSignals(_ holding: Bool = true) async {
        if holding { EarlySignals.hold() }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
