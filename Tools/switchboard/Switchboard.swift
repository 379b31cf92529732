import ArgumentParser

/// The launcher: starts, stops and inspects a local Switchboard.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Run and operate a local Switchboard.",
        subcommands: [Up.self, Down.self, Status.self, Probe.self, Seed.self, Bench.self, User.self]
    )
}
