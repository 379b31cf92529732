import ArgumentParser
import CommandKit
import ServiceKit

/// The launcher: starts, stops and inspects a local Switchboard.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Run and operate a local Switchboard.",
        subcommands: [Up.self, Down.self, Status.self, Probe.self, Seed.self, Bench.self, User.self, Keys.self]
    )

    /// Like the generated `main`, but a Ctrl-C or SIGTERM while `up` is still starting is kept until it can stop the
    /// children it has started (see `EarlySignals`); every other command keeps the default, immediate Ctrl-C.
    static func main() async {
        await mainHoldingStopSignals(CommandLine.arguments.dropFirst().first == "up")
    }
}
