import AuthTokens
import Foundation
import OpenSSLCrypto
import TestSupport
import Testing

/// No known secret, ever, and no silent fallback to development: what every process refuses at start, and that a
/// token signed with the secret that used to be built in grants nothing.
@Suite struct StartupSafetyTests {
    /// The development secret earlier versions built in; it is public, so it must open nothing.
    static let oldDevelopmentSecret = "switchboard-development-secret-change-me"
    static let processes = ["scheduler", "auth", "menu", "signer", "ws-edge"]

    @Test func aTokenSignedWithTheOldDevelopmentSecretIsRefused() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let forged = try await TokenAuthority(secret: Self.oldDevelopmentSecret)
            .issueAccess(user: "mallory", roles: ["admin"], lifetime: .seconds(300)).token
        let genuine = try await TestTokens.access("root", roles: ["admin"])

        let upgrade = try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws?token=\(forged)")
        #expect(upgrade.status == 401, "\(upgrade.head)")
        let admin = try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(forged)"])
        #expect(admin.status == 401, "\(admin.status) \(admin.text)")
        // The same route and upgrade with a token of the cluster's own secret work, so the 401s are the secret's.
        let control = try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(genuine)"])
        #expect(control.status == 200, "\(control.status) \(control.text)")
        #expect(try RawHTTPConnection(port: cluster.httpPort).upgrade(path: "/ws?token=\(genuine)").status == 101)
    }

    @Test(arguments: ["auth", "ws-edge"])
    func aProcessThatVerifiesTokensRefusesToStartWithoutASecret(_ process: String) async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        let refused = try await cluster.runToExit(process, environment: ["SWITCHBOARD_JWT_SECRET": ""], timeout: .seconds(15))
        #expect(refused.status != 0)
        #expect(refused.output.contains("SWITCHBOARD_JWT_SECRET"), "\(refused.output)")
        let missingFile = try await cluster.runToExit(
            process, environment: ["SWITCHBOARD_JWT_SECRET": "", "SWITCHBOARD_JWT_SECRET_FILE": "\(cluster.runDirectory)/absent"],
            timeout: .seconds(15))
        #expect(missingFile.status != 0)
        #expect(missingFile.output.contains("SWITCHBOARD_JWT_SECRET_FILE"), "\(missingFile.output)")
    }

    @Test func theSecretCanComeFromAFile() async throws {
        let path = "/tmp/sb-jwt-\(UUID().uuidString.prefix(8))"
        let secret = Hex.encode(SecureRandom.bytes(32))
        try "\(secret)\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cluster = try await Cluster.start(environment: ["SWITCHBOARD_JWT_SECRET": "", "SWITCHBOARD_JWT_SECRET_FILE": path])
        defer { cluster.shutdown() }
        let token = try await TokenAuthority(secret: secret).issueAccess(user: "root", roles: ["admin"], lifetime: .seconds(300)).token
        let answer = try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(token)"])
        #expect(answer.status == 200, "\(answer.status) \(answer.text)")
        let other = try await TestTokens.access("root", roles: ["admin"])
        #expect(try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(other)"]).status == 401)
    }

    @Test func anUnknownSwitchboardEnvStopsEveryProcessNamingIt() async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        for process in Self.processes {
            let refused = try await cluster.runToExit(process, environment: ["SWITCHBOARD_ENV": "prod"], timeout: .seconds(15))
            #expect(refused.status != 0, "\(process) started with SWITCHBOARD_ENV=prod")
            #expect(refused.output.contains("SWITCHBOARD_ENV") && refused.output.contains("\"prod\""), "\(process): \(refused.output)")
        }
    }

    @Test(arguments: ["Production ", "PRODUCTION", " production\n"])
    func productionIsRecognisedWhateverItsCaseAndPadding(_ value: String) async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        // Production refuses the signer's well-known AES key and a short JWT secret; development accepts both.
        let signer = try await cluster.runToExit("signer", environment: ["SWITCHBOARD_ENV": value], timeout: .seconds(15))
        #expect(signer.status != 0)
        #expect(signer.output.contains("SWITCHBOARD_SIGNER_AES_KEY"), "\(signer.output)")
        let edge = try await cluster.runToExit(
            "ws-edge", environment: ["SWITCHBOARD_ENV": value, "SWITCHBOARD_JWT_SECRET": "short"], timeout: .seconds(15))
        #expect(edge.status != 0)
        #expect(edge.output.contains("at least 32 characters"), "\(edge.output)")
    }

    @Test func switchboardUpGeneratesAPrivateSecretOnceAndListensOnLoopbackOnly() async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        let runDirectory = "\(cluster.runDirectory)/launch"
        let environment = [
            "SWITCHBOARD_RUN_DIR": runDirectory, "SWITCHBOARD_JWT_SECRET": "", "SWITCHBOARD_HTTP_HOST": "",
            "SWITCHBOARD_SIGNER_SIM_PORT": String(try FreePort.allocate()), "SWITCHBOARD_PBKDF2_ITERATIONS": "100000",
        ]
        func launcher(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            try await cluster.runToExit("switchboard", arguments: arguments, environment: environment, timeout: .seconds(90))
        }
        func stop() async { _ = try? await launcher(["down"]) }
        do {
            let up = try await launcher(["up", "--detach", "--wait", "60"])
            #expect(up.status == 0, "\(up.output)")
            let path = "\(runDirectory)/jwt-secret"
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8))")
            let secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.count == 64 && Hex.decode(secret)?.count == 32, "not 32 random bytes in hex: \(secret)")

            // Auth and the edge both run with it: a token it signs is an admin's, one of the old built-in secret is not.
            let token = try await TokenAuthority(secret: secret).issueAccess(user: "root", roles: ["admin"], lifetime: .seconds(300)).token
            let forged = try await TokenAuthority(secret: Self.oldDevelopmentSecret)
                .issueAccess(user: "mallory", roles: ["admin"], lifetime: .seconds(300)).token
            #expect(try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(token)"]).status == 200)
            #expect(try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(forged)"]).status == 401)
            // Loopback only: another local address of this machine is not served.
            #expect(throws: (any Error).self) { try PeerSocket(port: cluster.httpPort, to: "127.0.0.2") }

            // The next `up` reuses the secret, so tokens survive a restart of the whole run.
            #expect(try await launcher(["down"]).status == 0)
            let again = try await launcher(["up", "--detach", "--wait", "60"])
            #expect(again.status == 0, "\(again.output)")
            #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == secret)
            #expect(try await cluster.http("GET", "/admin/blocked-ips", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        } catch {
            await stop()
            throw error
        }
        await stop()
    }
}
