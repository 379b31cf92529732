import ArgumentParser
import Foundation
import ServiceKit
import SwitchboardProtocol

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when one process is healthy (for container healthchecks).",
        discussion:
            "SERVICE is auth, menu, scheduler, signer or edge. `edge` is healthy when it answers HTTP; add --strict to require every service green."
    )

    @Argument(help: "auth, menu, scheduler, signer or edge")
    var service: String

    @Flag(help: "For edge: require /health to be 200.")
    var strict = false

    func run() async throws {
        let layout = Layout()
        if service == "edge" || service == "ws-edge" {
            guard let answer = await HealthClient.fetch(layout.healthURL, timeout: 3) else {
                print("edge: no answer on \(layout.healthURL)")
                throw ExitCode(1)
            }
            print("edge: /health \(answer.status)")
            if strict && answer.status != 200 { throw ExitCode(1) }
            return
        }
        guard let name = ServiceName(rawValue: service) else {
            throw ValidationError("unknown service \(service); expected auth, menu, scheduler, signer or edge")
        }
        switch await ServiceProbe.health(name, endpoint: layout.config.endpoint(for: name)) {
        case .success(let report):
            print("\(service): up, v\(report.version), pid \(report.pid), redis \(report.redis.reachable ? "ok" : "down")")
        case .failure(let error):
            print("\(service): \(error.message)")
            throw ExitCode(1)
        }
    }
}
