import Foundation
import ServiceKit
import TestSupport
import Testing

/// The short chaos run (`switchboard-chaos --short`) as a test, for CI machines that can spare about a minute and a half:
/// off unless `SWITCHBOARD_CHAOS=1`, because it kills and restarts every process and takes far longer than a unit test.
@Suite("Chaos (SWITCHBOARD_CHAOS=1)", .serialized)
struct ChaosTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SWITCHBOARD_CHAOS"] == "1"), .timeLimit(.minutes(5)))
    func shortChaosRunKeepsEveryPromise() async throws {
        let binaries = Cluster.binaryDirectory
        let output = "/tmp/sbchaos-test-\(UUID().uuidString.prefix(8)).log"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try ChildProcess(
            executable: "\(binaries)/switchboard-chaos", arguments: ["--short", "--binaries", binaries],
            environment: ProcessInfo.processInfo.environment, outputPath: output)
        let exited = await child.exited(within: .seconds(240))
        if !exited { child.kill9() }
        let report = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        print(report)
        #expect(exited, "switchboard-chaos --short did not finish within 4 minutes")
        #expect(child.exitStatus == 0, "switchboard-chaos --short failed:\n\(report.suffix(4000))")
    }
}
