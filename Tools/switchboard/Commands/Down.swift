import ArgumentParser
import Foundation

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a Switchboard started with `switchboard up --detach`.")

    func run() async throws {
        let layout = Layout()
        var stopped = false
        if let pid = ProcessTools.readPID(layout.supervisorPIDFile), ProcessTools.isAlive(pid) {
            print("stopping launcher (pid \(pid)) and its processes…")
            await ProcessTools.terminate(pid, grace: .seconds(40))
            stopped = true
        }
        // Whatever the launcher left behind (it was killed, say) is stopped by its pid file.
        let files = (try? FileManager.default.contentsOfDirectory(atPath: layout.pids)) ?? []
        for file in files where file.hasSuffix(".pid") {
            let path = "\(layout.pids)/\(file)"
            if let pid = ProcessTools.readPID(path), ProcessTools.isAlive(pid) {
                print("stopping \(file.dropLast(4)) (pid \(pid))")
                await ProcessTools.terminate(pid)
                stopped = true
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        try? FileManager.default.removeItem(atPath: layout.supervisorPIDFile)
        print(stopped ? "Switchboard stopped." : "Switchboard is not running.")
    }
}
