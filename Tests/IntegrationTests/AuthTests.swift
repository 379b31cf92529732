import Foundation
import Redis
import TestSupport
import Testing

/// The account API through the real edge: auth and ws-edge as real processes, real Redis, HTTP from outside.
@Suite("Auth accounts and tokens", .serialized, .timeLimit(.minutes(3)))
struct AuthTests {
    @Test func registerLoginRefreshLogoutAndMe() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }

        let registered = try await AuthTestKit.post(cluster, "/api/auth/register", ["username": "alice", "password": "correct horse"])
        #expect(registered.status == 201, "\(registered.text)")
        let account = try registered.json()
        #expect(account["user"] as? String == "alice")
        #expect(account["roles"] as? [String] == ["viewer"])

        let session = try await AuthTestKit.login(cluster, "alice", "correct horse")
        #expect(session["token_type"] as? String == "Bearer")
        #expect(session["expires_in"] as? Int == 900)
        #expect(session["refresh_expires_in"] as? Int == 7 * 24 * 3600)
        #expect(session["user"] as? String == "alice")
        #expect(session["roles"] as? [String] == ["viewer"])
        let access = try #require(session["access_token"] as? String)
        let refresh = try #require(session["refresh_token"] as? String)
        #expect(refresh.count >= 43, "refresh tokens carry at least 32 random bytes")

        let me = try await cluster.http("GET", "/api/auth/me", headers: ["Authorization": "Bearer \(access)"])
        #expect(me.status == 200, "\(me.text)")
        #expect(try me.json()["user"] as? String == "alice")
        #expect(try me.json()["roles"] as? [String] == ["viewer"])
        #expect((try me.json()["created_at"] as? Int ?? 0) > 1_700_000_000)

        let renewed = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": refresh])
        #expect(renewed.status == 200, "\(renewed.text)")
        let next = try #require(try renewed.json()["refresh_token"] as? String)
        #expect(next != refresh)
        let nextAccess = try #require(try renewed.json()["access_token"] as? String)
        #expect(try await cluster.http("GET", "/api/auth/me", headers: ["Authorization": "Bearer \(nextAccess)"]).status == 200)

        // Only the hash of a refresh token is stored.
        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        let keys = try await redis.send("KEYS", "refresh:*").array?.compactMap(\.text) ?? []
        #expect(keys.count == 2)
        #expect(!keys.contains { $0.contains(next) || $0.contains(refresh) })

        let logout = try await AuthTestKit.post(cluster, "/api/auth/logout", ["refresh_token": next])
        #expect(logout.status == 204)
        let afterLogout = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": next])
        #expect(afterLogout.status == 401)
        #expect(try afterLogout.json()["code"] as? String == "invalid_refresh_token")
        #expect(try await AuthTestKit.post(cluster, "/api/auth/logout", ["refresh_token": next]).status == 204, "logout is idempotent")
    }

    @Test func wrongPasswordAndUnknownUserAnswerTheSame401() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "bob", "s3cret-pass")

        let wrong = try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "bob", "password": "not-the-pass"])
        let unknown = try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "nobody", "password": "not-the-pass"])
        #expect(wrong.status == 401)
        #expect(unknown.status == 401)
        #expect(wrong.text == unknown.text, "the answers must not tell which names exist")
        #expect(try wrong.json()["code"] as? String == "invalid_credentials")
        #expect(try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "bob", "password": "s3cret-pass"]).status == 200)
    }

    @Test func badRegistrationsAre4xxAndCreateNothing() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        let cases: [(body: String, status: Int, mentions: String)] = [
            (#"{"username":"carol","password":"short"}"#, 400, "password"),
            (#"{"username":"carol","password":"aaaaaaaaaa"}"#, 400, "repeated"),
            (#"{"username":"carol","password":"carol"}"#, 400, "password"),
            (#"{"username":"ca","password":"long enough"}"#, 400, "username"),
            (#"{"username":"carol smith","password":"long enough"}"#, 400, "username"),
            (#"{"username":"caröl","password":"long enough"}"#, 400, "username"),
            (#"{"username":"\#(String(repeating: "c", count: 33))","password":"long enough"}"#, 400, "username"),
            (#"{"username":"carol","password":"\#(String(repeating: "x", count: 129))"}"#, 400, "password"),
            (#"{"username":"carol","password":"#, 400, "JSON"),
            (#"{"username":"carol","password":12345678}"#, 400, "password"),
            (#"{"username":["carol"],"password":"long enough"}"#, 400, "username"),
            (#"{"username":"carol"}"#, 400, "password"),
            (#"{"username":"carol","password":"long enough","pad":"\#(String(repeating: "p", count: 9000))"}"#, 413, "bytes"),
        ]
        for entry in cases {
            let answer = try await cluster.http(
                "POST", "/api/auth/register", body: Data(entry.body.utf8), headers: ["Content-Type": "application/json"])
            #expect(answer.status == entry.status, "\(entry.body.prefix(80)) → \(answer.status) \(answer.text)")
            let message = try answer.json()["message"] as? String ?? ""
            #expect(message.contains(entry.mentions), "\(entry.body.prefix(80)) → \(message)")
        }
        let empty = try await cluster.http("POST", "/api/auth/register")
        #expect(empty.status == 400)

        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        #expect(try await redis.send("SCARD", "users").int == 0)
        #expect(try await redis.send("KEYS", "user:*").array?.isEmpty == true)
    }

    @Test func duplicateRegistrationIs409() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "dave", "first password")
        let again = try await AuthTestKit.post(cluster, "/api/auth/register", ["username": "dave", "password": "second password"])
        #expect(again.status == 409)
        #expect(try again.json()["code"] as? String == "user_exists")
        // The first password still works: the duplicate changed nothing.
        _ = try await AuthTestKit.login(cluster, "dave", "first password")
    }

    @Test func reusingARotatedRefreshTokenRevokesTheWholeFamily() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "erin", "erin password")
        let first = try #require(try await AuthTestKit.login(cluster, "erin", "erin password")["refresh_token"] as? String)
        let other = try #require(try await AuthTestKit.login(cluster, "erin", "erin password")["refresh_token"] as? String)

        let rotated = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": first])
        #expect(rotated.status == 200)
        let second = try #require(try rotated.json()["refresh_token"] as? String)

        let reuse = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": first])
        #expect(reuse.status == 401)
        #expect(try reuse.json()["code"] as? String == "refresh_reused")

        let successor = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": second])
        #expect(successor.status == 401, "the reuse revoked the family, the newest token included")

        let unrelated = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": other])
        #expect(unrelated.status == 200, "another login's family is untouched: \(unrelated.text)")

        let garbage = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": "not-a-token"])
        #expect(garbage.status == 401)
        #expect(try garbage.json()["code"] as? String == "invalid_refresh_token")
    }

    @Test func twoConcurrentRefreshesOfOneTokenExactlyOneSucceeds() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "frank", "frank password")
        for round in 0..<5 {
            let token = try #require(try await AuthTestKit.login(cluster, "frank", "frank password")["refresh_token"] as? String)
            async let a = AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": token])
            async let b = AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": token])
            let statuses = try await [a.status, b.status].sorted()
            #expect(statuses == [200, 401], "round \(round): \(statuses)")
        }
    }

    @Test func tamperedExpiredAndMissingAccessTokensAre401() async throws {
        let cluster = try await AuthTestKit.start(["SWITCHBOARD_ACCESS_TTL_SECONDS": "1"])
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "grace", "grace password")
        let session = try await AuthTestKit.login(cluster, "grace", "grace password")
        #expect(session["expires_in"] as? Int == 1)
        let token = try #require(session["access_token"] as? String)

        let anonymous = try await cluster.http("GET", "/api/auth/me")
        #expect(anonymous.status == 401)

        // Flip one character in the middle of the signature (not the last, whose low bits base64url may ignore).
        var characters = Array(token)
        let index = characters.count - 10
        characters[index] = characters[index] == "A" ? "B" : "A"
        let tampered = try await cluster.http("GET", "/api/auth/me", headers: ["Authorization": "Bearer \(String(characters))"])
        #expect(tampered.status == 401)
        #expect(try tampered.json()["code"] as? String == "invalid_token")

        try await Task.sleep(for: .milliseconds(2100))
        let expired = try await cluster.http("GET", "/api/auth/me", headers: ["Authorization": "Bearer \(token)"])
        #expect(expired.status == 401)
        #expect(try expired.json()["code"] as? String == "token_expired")
    }

    @Test func anAdminChangesRolesAndAViewerCannot() async throws {
        let cluster = try await AuthTestKit.start(AuthTestKit.adminEnvironment)
        defer { cluster.shutdown() }
        let admin = try await AuthTestKit.adminToken(cluster)
        try await AuthTestKit.register(cluster, "heidi", "heidi password")
        let heidi = try await AuthTestKit.login(cluster, "heidi", "heidi password")
        let heidiToken = try #require(heidi["access_token"] as? String)

        let byViewer = try await AuthTestKit.put(cluster, "/api/auth/users/heidi/roles", ["roles": ["admin"]], token: heidiToken)
        #expect(byViewer.status == 403)
        let anonymous = try await AuthTestKit.put(cluster, "/api/auth/users/heidi/roles", ["roles": ["admin"]], token: nil)
        #expect(anonymous.status == 401)

        let bad = try await AuthTestKit.put(cluster, "/api/auth/users/heidi/roles", ["roles": ["root"]], token: admin)
        #expect(bad.status == 400)
        let missing = try await AuthTestKit.put(cluster, "/api/auth/users/nobody/roles", ["roles": ["viewer"]], token: admin)
        #expect(missing.status == 404)

        let changed = try await AuthTestKit.put(cluster, "/api/auth/users/heidi/roles", ["roles": ["operator", "viewer"]], token: admin)
        #expect(changed.status == 200, "\(changed.text)")
        #expect(try changed.json()["roles"] as? [String] == ["viewer", "operator"])

        // The next refresh carries the new roles.
        let refreshed = try await AuthTestKit.post(cluster, "/api/auth/refresh", ["refresh_token": heidi["refresh_token"] as? String ?? ""])
        #expect(try refreshed.json()["roles"] as? [String] == ["viewer", "operator"])
    }

    @Test func productionRefusesTheDefaultSecret() async throws {
        let cluster = try await Cluster.start([])
        defer { cluster.shutdown() }
        let refused = try await cluster.runToExit(
            "auth", environment: ["SWITCHBOARD_ENV": "production", "SWITCHBOARD_JWT_SECRET": "too-short"], timeout: .seconds(15))
        #expect(refused.status != 0)
        #expect(refused.output.contains("SWITCHBOARD_JWT_SECRET"), "\(refused.output)")

        let weakKDF = try await cluster.runToExit(
            "auth",
            environment: [
                "SWITCHBOARD_ENV": "production", "SWITCHBOARD_JWT_SECRET": String(repeating: "k", count: 40),
                "SWITCHBOARD_PBKDF2_ITERATIONS": "1000",
            ],
            timeout: .seconds(15))
        #expect(weakKDF.status != 0)
        #expect(weakKDF.output.contains("SWITCHBOARD_PBKDF2_ITERATIONS"), "\(weakKDF.output)")
    }

    @Test func theAdminFromTheEnvironmentIsCreatedOnceAndNeverOverwritten() async throws {
        let cluster = try await AuthTestKit.start(AuthTestKit.adminEnvironment)
        defer { cluster.shutdown() }
        let session = try await AuthTestKit.waitForLogin(cluster, "root", AuthTestKit.adminPassword)
        #expect(session["roles"] as? [String] == ["admin"])

        cluster.kill9("auth")
        _ = cluster.process("auth")?.waitForExit(timeout: .seconds(5))
        try cluster.start("auth", environment: ["SWITCHBOARD_ADMIN_PASSWORD": "a different password"])
        try await AuthTestKit.waitForAuth(cluster)
        try await Task.sleep(for: .milliseconds(300))
        _ = try await AuthTestKit.waitForLogin(cluster, "root", AuthTestKit.adminPassword)
        let replaced = try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "root", "password": "a different password"])
        #expect(replaced.status == 401, "a restart must not overwrite the existing admin's password")
        #expect(cluster.log("auth").contains("already exists"))
    }

    @Test func switchboardUserAddCreatesAUserWhoCanLogIn() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }

        let added = try await cluster.runToExit(
            "switchboard", arguments: ["user", "add", "ivan", "--role", "operator", "--password", "ivan password"])
        #expect(added.status == 0, "\(added.output)")
        #expect(added.output.contains("created user ivan"))
        #expect(try await AuthTestKit.login(cluster, "ivan", "ivan password")["roles"] as? [String] == ["operator"])

        let generated = try await cluster.runToExit("switchboard", arguments: ["user", "add", "judy", "--role", "admin"])
        #expect(generated.status == 0, "\(generated.output)")
        let line = try #require(generated.output.split(separator: "\n").first { $0.hasPrefix("password: ") })
        let password = String(line.dropFirst("password: ".count))
        #expect(password.count >= 20)
        #expect(try await AuthTestKit.login(cluster, "judy", password)["roles"] as? [String] == ["admin"])

        let duplicate = try await cluster.runToExit("switchboard", arguments: ["user", "add", "ivan", "--password", "another password"])
        #expect(duplicate.status != 0)
        #expect(duplicate.output.contains("already exists"), "\(duplicate.output)")

        let badRole = try await cluster.runToExit("switchboard", arguments: ["user", "add", "kim", "--role", "root"])
        #expect(badRole.status != 0)
        #expect(badRole.output.contains("--role"), "\(badRole.output)")

        cluster.kill9("auth")
        _ = cluster.process("auth")?.waitForExit(timeout: .seconds(5))
        let down = try await cluster.runToExit("switchboard", arguments: ["user", "add", "leo", "--password", "leo password"])
        #expect(down.status != 0)
        #expect(down.output.contains("not reachable"), "\(down.output)")
    }

    @Test func theDefaultKDFCostIsAtLeast100kIterations() async throws {
        let cluster = try await AuthTestKit.start(["SWITCHBOARD_PBKDF2_ITERATIONS": ""])
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "mallory", "mallory password")
        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        let stored = try await redis.send("HGETALL", "user:mallory").array?.compactMap(\.text) ?? []
        let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: stored.count - 1, by: 2).map { (stored[$0], stored[$0 + 1]) })
        #expect(Int(fields["iterations"] ?? "") ?? 0 >= 100_000, "\(fields)")
        #expect(fields["salt"]?.count == 32, "a 16-byte salt, hex")
        #expect(fields["password_hash"]?.count == 64, "a 32-byte PBKDF2-SHA256 output, hex")
        #expect(fields["password_hash"]?.contains("mallory") == false)
        _ = try await AuthTestKit.login(cluster, "mallory", "mallory password")
        #expect(cluster.log("auth").contains("PBKDF2-SHA256 at 120000 iterations"))
    }

    @Test func loginAttemptsPerIPAreLimitedWith429AndRetryAfter() async throws {
        let cluster = try await AuthTestKit.start(["SWITCHBOARD_LOGIN_RATE_PER_MIN": "3"])
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "nina", "nina password")
        for _ in 0..<3 {
            #expect(try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "nina", "password": "wrong one"]).status == 401)
        }
        let limited = try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "nina", "password": "nina password"])
        #expect(limited.status == 429)
        #expect(try limited.json()["code"] as? String == "rate_limited")
        let retry = Int(limited.headers["retry-after"] ?? "") ?? 0
        #expect((1...20).contains(retry), "Retry-After \(limited.headers)")
    }

    /// A register flood from one IP is cut off after the bucket's burst with 429 and `Retry-After`, and the refused
    /// attempts create nothing; attempts that fail validation count too, so the limit also bounds name probing.
    @Test func registrationsPerIPAreLimitedWith429AndRetryAfter() async throws {
        let cluster = try await AuthTestKit.start(["SWITCHBOARD_REGISTER_RATE_PER_MIN": "3"])
        defer { cluster.shutdown() }
        let started = ContinuousClock.now
        let invalid = try await AuthTestKit.post(cluster, "/api/auth/register", ["username": "x", "password": "flood password"])
        #expect(invalid.status == 400, "\(invalid.text)")
        var answers: [(name: String, answer: Cluster.HTTPAnswer)] = []
        for index in 0..<8 {
            let name = "flood\(index)"
            answers.append((name, try await AuthTestKit.post(cluster, "/api/auth/register", ["username": name, "password": "flood password"])))
        }
        // A burst of 3, then one token per 20 s: however slow this machine was, no more than that got through.
        let elapsed = ContinuousClock.now - started
        let allowance = 3 + Int(elapsed.components.seconds / 20)
        let created = answers.filter { $0.answer.status == 201 }.map(\.name)
        let limited = answers.filter { $0.answer.status == 429 }.map(\.answer)
        // The invalid attempt took one of them. Each request is bounded by a 5 s timeout, so the loop lasts at most 45 s:
        // at most 5 tokens, at least 3 refusals.
        #expect((2...(allowance - 1)).contains(created.count), "\(answers.map(\.answer.status)) in \(elapsed)")
        #expect(Array(created.prefix(2)) == ["flood0", "flood1"], "the burst serves the first attempts")
        #expect(created.count + limited.count == answers.count, "\(answers.map(\.answer.status))")
        let first = try #require(limited.first)
        #expect(try first.json()["code"] as? String == "rate_limited")
        let retry = Int(first.headers["retry-after"] ?? "") ?? 0
        #expect((1...20).contains(retry), "Retry-After \(first.headers)")

        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        let users = Set(try await redis.send("SMEMBERS", "users").array?.compactMap(\.text) ?? [])
        #expect(users == Set(created))
        // The limit is per IP and for registration only: login from the same address still works.
        _ = try await AuthTestKit.login(cluster, "flood0", "flood password")
    }

    /// `anonymous`, `admin` and `system…` cannot be registered, in any case or with separators and digit look-alikes;
    /// the operator can still create `admin` (the bootstrap variables), and near names that are not reserved register.
    @Test func reservedNamesCannotBeRegisteredButTheOperatorMayCreateAdmin() async throws {
        let cluster = try await AuthTestKit.start(["SWITCHBOARD_ADMIN_USER": "admin", "SWITCHBOARD_ADMIN_PASSWORD": "operator password"])
        defer { cluster.shutdown() }
        for name in [
            "anonymous", "Anonymous", "ANONYMOUS", "admin", "Admin", "ad-min", "adm1n", "system", "System", "system-x", "SYSTEM_bot", "sys.tem",
        ] {
            let answer = try await AuthTestKit.post(cluster, "/api/auth/register", ["username": name, "password": "reserved password"])
            #expect(answer.status == 403, "\(name) → \(answer.status) \(answer.text)")
            #expect(try answer.json()["code"] as? String == "reserved_name", "\(name) → \(answer.text)")
            #expect((try answer.json()["message"] as? String ?? "").contains("reserved"), "\(name) → \(answer.text)")
        }
        for name in ["administrator", "anon", "mysystem", "sysadmin"] {
            try await AuthTestKit.register(cluster, name, "ordinary password")
        }
        let session = try await AuthTestKit.waitForLogin(cluster, "admin", "operator password")
        #expect(session["roles"] as? [String] == ["admin"])

        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        let users = Set(try await redis.send("SMEMBERS", "users").array?.compactMap(\.text) ?? [])
        #expect(users == ["admin", "administrator", "anon", "mysystem", "sysadmin"])
    }
}

/// Starting auth + edge and talking to the account API, shared by the auth suites.
enum AuthTestKit {
    static let adminPassword = "root password 1"
    static let adminEnvironment = ["SWITCHBOARD_ADMIN_USER": "root", "SWITCHBOARD_ADMIN_PASSWORD": adminPassword]
    /// Cheap hashing for speed; `theDefaultKDFCostIsAtLeast100kIterations` checks the real default.
    static let fastEnvironment = [
        "SWITCHBOARD_PBKDF2_ITERATIONS": "1000", "SWITCHBOARD_LOGIN_RATE_PER_MIN": "0", "SWITCHBOARD_REGISTER_RATE_PER_MIN": "0",
    ]

    static func start(_ environment: [String: String] = [:], processes: [String] = ["auth", "ws-edge"]) async throws -> Cluster {
        let cluster = try await Cluster.start(processes, environment: fastEnvironment.merging(environment) { $1 })
        do {
            try await waitForAuth(cluster)
        } catch {
            cluster.shutdown()
            throw error
        }
        return cluster
    }

    /// Until the edge reaches auth: anonymous `/me` answers auth's 401 instead of the edge's 503.
    static func waitForAuth(_ cluster: Cluster, timeout: Duration = .seconds(20)) async throws {
        let end = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < end {
            if let answer = try? await cluster.http("GET", "/api/auth/me", timeout: 2) {
                if answer.status == 401 { return }
                last = "\(answer.status) \(answer.text)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("auth did not answer through the edge within \(timeout): \(last)\n\(cluster.log("auth").suffix(2000))")
    }

    static func redis(_ cluster: Cluster) -> RedisClient {
        RedisClient(configuration: try! RedisConfiguration(url: cluster.redis.url))
    }

    static func post(_ cluster: Cluster, _ path: String, _ body: [String: Any], token: String? = nil) async throws -> Cluster.HTTPAnswer {
        try await send(cluster, "POST", path, body, token: token)
    }

    static func put(_ cluster: Cluster, _ path: String, _ body: [String: Any], token: String?) async throws -> Cluster.HTTPAnswer {
        try await send(cluster, "PUT", path, body, token: token)
    }

    static func send(_ cluster: Cluster, _ method: String, _ path: String, _ body: [String: Any]?, token: String?) async throws
        -> Cluster.HTTPAnswer
    {
        var headers = ["Content-Type": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        return try await cluster.http(method, path, body: data, headers: headers)
    }

    static func register(_ cluster: Cluster, _ user: String, _ password: String) async throws {
        let answer = try await post(cluster, "/api/auth/register", ["username": user, "password": password])
        guard answer.status == 201 else { throw HarnessError("register \(user): \(answer.status) \(answer.text)") }
    }

    static func login(_ cluster: Cluster, _ user: String, _ password: String) async throws -> [String: Any] {
        let answer = try await post(cluster, "/api/auth/login", ["username": user, "password": password])
        guard answer.status == 200 else { throw HarnessError("login \(user): \(answer.status) \(answer.text)") }
        return try answer.json()
    }

    /// Logs in, retrying while the admin bootstrap has not run yet.
    static func waitForLogin(_ cluster: Cluster, _ user: String, _ password: String, timeout: Duration = .seconds(10)) async throws
        -> [String: Any]
    {
        let end = ContinuousClock.now + timeout
        while true {
            do {
                return try await login(cluster, user, password)
            } catch {
                if ContinuousClock.now >= end { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static func adminToken(_ cluster: Cluster) async throws -> String {
        let session = try await waitForLogin(cluster, "root", adminPassword)
        guard let token = session["access_token"] as? String else { throw HarnessError("no access token in \(session)") }
        return token
    }
}
