import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark (switchboard-bench, built next to this launcher).",
        discussion: "Everything after `bench` goes to switchboard-bench, e.g. `switchboard bench bus --in-flight 64`."
    )

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        let path = Layout().binary("switchboard-bench")
        guard FileManager.default.isExecutableFile(atPath: path) else { throw LaunchError("\(path) is missing: build first") }
        let argv = [path] + (arguments.isEmpty ? ["--help"] : arguments)
        let cArgs = argv.map { strdup($0) } + [nil]
        execv(path, cArgs)
        throw LaunchError("cannot run \(path): \(String(cString: strerror(errno)))")
    }
}
