import Foundation
import OpenSSLCrypto
import Redis
import TestSupport
import Testing

/// The VoltageEMS dashboard's account flows replayed on the wire against the real edge and auth: each request is the one
/// the real client sends (github:EvanL1/VoltageEMS at 30834f3, `apps/src/...`), each check is what that client reads.
///
/// What the dashboard does, in short: `stores/user.ts` MD5-hexes the typed password (`crypto-js/md5`) and posts it;
/// `utils/request.ts` adds `Authorization: Bearer <access token>` to every request once it has one (a refresh and a
/// logout included) and accepts a 2xx body only with `success` (or `code: 200`, or `status: "success"`); on a 401 it
/// refreshes and retries, and a 401 from the refresh sends the user to the login page.
@Suite("VoltageEMS dashboard auth", .serialized, .timeLimit(.minutes(3)))
struct VoltageEMSAuthTests {
    /// `MD5(params.password).toString()`: lowercase hex of the UTF-8 bytes.
    static func md5(_ password: String) -> String { Hex.encode(Digest.md5(Array(password.utf8))) }

    /// `Request.post(url, data)`: JSON body, the bearer header whenever the store holds an access token.
    static func post(_ cluster: Cluster, _ path: String, _ body: [String: Any], token: String? = nil) async throws -> Cluster.HTTPAnswer {
        var headers = ["Content-Type": "application/json;charset=UTF-8"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try await cluster.http("POST", path, body: try JSONSerialization.data(withJSONObject: body), headers: headers)
    }

    /// `Request.get(url)`: the request interceptor adds `_t=<ms>` to every GET against caching.
    static func get(_ cluster: Cluster, _ path: String, token: String?) async throws -> Cluster.HTTPAnswer {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try await cluster.http("GET", "\(path)?_t=\(Int(Date().timeIntervalSince1970 * 1000))", headers: headers)
    }

    /// `userApi.login` from `userStore.login`: `{username, password: md5}` (LoginParams may carry `remember`).
    static func login(_ cluster: Cluster, _ user: String, _ password: String) async throws -> (access: String, refresh: String) {
        let answer = try await post(cluster, "/api/v1/auth/login", ["username": user, "password": md5(password), "remember": true])
        let body = try answer.json()
        guard answer.status == 200, body["success"] as? Bool == true, let data = body["data"] as? [String: Any],
            let access = data["access_token"] as? String, let refresh = data["refresh_token"] as? String
        else { throw HarnessError("v1 login \(user): \(answer.status) \(answer.text)") }
        return (access, refresh)
    }

    static func data(_ answer: Cluster.HTTPAnswer) throws -> [String: Any] {
        try answer.json()["data"] as? [String: Any] ?? [:]
    }

    /// The old gateway's SQLite `CURRENT_TIMESTAMP` text.
    static func isTimestamp(_ value: Any?) -> Bool {
        (value as? String)?.wholeMatch(of: /20\d\d-[01]\d-[0-3]\d [0-2]\d:[0-5]\d:[0-5]\d/) != nil
    }

    @Test func loginWithMD5ThenMeRefreshAndLogoutAsTheDashboardDoes() async throws {
        let cluster = try await AuthTestKit.start(AuthTestKit.adminEnvironment)
        defer { cluster.shutdown() }
        _ = try await AuthTestKit.waitForLogin(cluster, "root", AuthTestKit.adminPassword)

        // stores/user.ts `login` → api/user.ts `login`: POST /api/v1/auth/login {username, password: MD5(password)}.
        let answer = try await Self.post(cluster, "/api/v1/auth/login", ["username": "root", "password": Self.md5(AuthTestKit.adminPassword)])
        #expect(answer.status == 200, "\(answer.text)")
        let body = try answer.json()
        #expect(body["success"] as? Bool == true, "request.ts accepts a 2xx only with success: \(answer.text)")
        #expect((body["message"] as? String)?.isEmpty == false, "the login page shows message")
        let tokens = try Self.data(answer)
        #expect(tokens["token_type"] as? String == "bearer")
        #expect(tokens["expires_in"] as? Int == 900)
        let access = try #require(tokens["access_token"] as? String)
        let refresh = try #require(tokens["refresh_token"] as? String)

        // stores/user.ts `getUserInfo` → GET /api/v1/auth/me with the bearer; `roles` is [userInfo.role.name_en].
        let me = try await Self.get(cluster, "/api/v1/auth/me", token: access)
        #expect(me.status == 200, "\(me.text)")
        #expect(try me.json()["success"] as? Bool == true)
        let user = try Self.data(me)
        #expect(user["username"] as? String == "root")
        #expect((user["id"] as? Int ?? 0) >= 1, "types/user.ts: id is a number: \(user)")
        #expect(user["is_active"] as? Bool == true)
        #expect(Self.isTimestamp(user["last_login"]), "the login just now: \(user["last_login"] ?? "missing")")
        #expect(Self.isTimestamp(user["created_at"]) && Self.isTimestamp(user["updated_at"]), "\(user)")
        let role = user["role"] as? [String: Any] ?? [:]
        #expect(role["id"] as? Int == 1)
        #expect(role["name_en"] as? String == "Admin")
        #expect(role["name_zh"] as? String == "管理员")
        #expect((role["description"] as? String)?.isEmpty == false)
        let again = try Self.data(try await Self.get(cluster, "/api/v1/auth/me", token: access))
        #expect(again["id"] as? Int == user["id"] as? Int, "the id is stable")

        // stores/user.ts `refreshUserToken` → POST /api/v1/auth/refresh {refresh_token}; the interceptor still adds the bearer.
        let renewed = try await Self.post(cluster, "/api/v1/auth/refresh", ["refresh_token": refresh], token: access)
        #expect(renewed.status == 200, "\(renewed.text)")
        #expect(try renewed.json()["success"] as? Bool == true)
        let next = try Self.data(renewed)
        let nextRefresh = try #require(next["refresh_token"] as? String)
        let nextAccess = try #require(next["access_token"] as? String)
        #expect(nextRefresh != refresh)
        #expect(next["token_type"] as? String == "bearer")
        #expect(try await Self.get(cluster, "/api/v1/auth/me", token: nextAccess).status == 200)

        // stores/user.ts `logout` → POST /api/v1/auth/logout {refresh_token} with the bearer; it clears the store on success.
        let logout = try await Self.post(cluster, "/api/v1/auth/logout", ["refresh_token": nextRefresh], token: nextAccess)
        #expect(logout.status == 200, "\(logout.text)")
        #expect(try logout.json()["success"] as? Bool == true)
        let dead = try await Self.post(cluster, "/api/v1/auth/refresh", ["refresh_token": nextRefresh])
        #expect(dead.status == 401, "a refresh after logout sends the dashboard to the login page: \(dead.text)")
        #expect(try dead.json()["success"] as? Bool == false)

        // The old gateway's logout needed the access token too.
        let anonymousLogout = try await Self.post(cluster, "/api/v1/auth/logout", ["refresh_token": nextRefresh])
        #expect(anonymousLogout.status == 401)
        // No token at all: me is a 401 (the interceptor refreshes on it), in the same envelope.
        let anonymousMe = try await Self.get(cluster, "/api/v1/auth/me", token: nil)
        #expect(anonymousMe.status == 401)
        #expect(try anonymousMe.json()["success"] as? Bool == false)
    }

    @Test func aWrongPasswordIsA200WithSuccessFalseAndAPlainPasswordIsRefused() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "olga", "olga password")

        // The login page with a mistyped password: still MD5, still 200; a 401 would read as "session expired".
        let wrong = try await Self.post(cluster, "/api/v1/auth/login", ["username": "olga", "password": Self.md5("olga passwort")])
        #expect(wrong.status == 200, "\(wrong.text)")
        let body = try wrong.json()
        #expect(body["success"] as? Bool == false)
        #expect(body.keys.contains("data") && body["data"] is NSNull, "data is null: \(wrong.text)")
        #expect((body["message"] as? String)?.isEmpty == false)
        #expect(body["code"] == nil, "request.ts switches on a numeric code (401 clears the session): \(wrong.text)")
        let unknown = try await Self.post(cluster, "/api/v1/auth/login", ["username": "nobody", "password": Self.md5("olga passwort")])
        #expect(unknown.status == 200)
        #expect(unknown.text == wrong.text, "the answers must not tell which names exist")

        // The same hex in upper case is the same MD5.
        let upper = try await Self.post(cluster, "/api/v1/auth/login", ["username": "olga", "password": Self.md5("olga password").uppercased()])
        #expect(try upper.json()["success"] as? Bool == true, "\(upper.text)")

        // Not an MD5 hex: a 400 that says what is expected, not a silent wrong password.
        for password in ["olga password", String(repeating: "g", count: 32), String(Self.md5("x").dropLast()), Self.md5("x") + "0", ""] {
            let refused = try await Self.post(cluster, "/api/v1/auth/login", ["username": "olga", "password": password])
            #expect(refused.status == 400, "\(password) → \(refused.status) \(refused.text)")
            #expect(try refused.json()["success"] as? Bool == false)
            #expect((try refused.json()["message"] as? String ?? "").contains("32 hexadecimal"), "\(refused.text)")
        }
        let missing = try await Self.post(cluster, "/api/v1/auth/login", ["username": "olga"])
        #expect(missing.status == 400)
        #expect((try missing.json()["message"] as? String ?? "").contains("password"), "\(missing.text)")
    }

    /// The refresh the dashboard makes is the one after a 401: its access token has expired and is still in the header.
    @Test func anExpiredAccessTokenIsRefreshedAsTheInterceptorDoes() async throws {
        let cluster = try await AuthTestKit.start(["SWITCHBOARD_ACCESS_TTL_SECONDS": "1"])
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "pavel", "pavel password")
        let first = try await Self.login(cluster, "pavel", "pavel password")
        try await Task.sleep(for: .milliseconds(2100))

        // request.ts: GET me → 401 → `refreshUserToken()` with the expired bearer still set → retry with the new one.
        let expired = try await Self.get(cluster, "/api/v1/auth/me", token: first.access)
        #expect(expired.status == 401, "\(expired.text)")
        let renewed = try await Self.post(cluster, "/api/v1/auth/refresh", ["refresh_token": first.refresh], token: first.access)
        #expect(renewed.status == 200, "a stale bearer must not fail the refresh: \(renewed.text)")
        let access = try #require(try Self.data(renewed)["access_token"] as? String)
        let retried = try await Self.get(cluster, "/api/v1/auth/me", token: access)
        #expect(retried.status == 200, "\(retried.text)")
        #expect(try Self.data(retried)["username"] as? String == "pavel")

        // The login page after the session ran out: the old token may still be held; the login must not be refused for it.
        let relogin = try await Self.post(
            cluster, "/api/v1/auth/login", ["username": "pavel", "password": Self.md5("pavel password")], token: first.access)
        #expect(try relogin.json()["success"] as? Bool == true, "\(relogin.text)")
        // A route that needs the token still refuses the stale one (the dashboard refreshes on that 401).
        let logout = try await Self.post(cluster, "/api/v1/auth/logout", ["refresh_token": first.refresh], token: first.access)
        #expect(logout.status == 401)
    }

    @Test func reusingARotatedRefreshTokenRevokesTheSession() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        try await AuthTestKit.register(cluster, "quinn", "quinn password")
        let session = try await Self.login(cluster, "quinn", "quinn password")
        let rotated = try await Self.post(cluster, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        let successor = try #require(try Self.data(rotated)["refresh_token"] as? String)
        let reuse = try await Self.post(cluster, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        #expect(reuse.status == 401)
        #expect(try reuse.json()["error"] as? String == "refresh_reused", "\(reuse.text)")
        let after = try await Self.post(cluster, "/api/v1/auth/refresh", ["refresh_token": successor])
        #expect(after.status == 401, "the reuse revoked the family: \(after.text)")
    }

    /// UserManagement's "add user" (`userApi.addUser`): `{username, password: MD5, role_id}` sent with the admin's token.
    @Test func registrationGrantsMoreThanViewerOnlyToAnAdmin() async throws {
        let cluster = try await AuthTestKit.start(AuthTestKit.adminEnvironment)
        defer { cluster.shutdown() }
        let admin = try await AuthTestKit.adminToken(cluster)

        // Anonymous: a Viewer is fine (default role_id 3, as in the old gateway), an Engineer or Admin is not.
        let viewer = try await Self.post(cluster, "/api/v1/auth/register", ["username": "rita", "password": Self.md5("rita password")])
        #expect(viewer.status == 200, "\(viewer.text)")
        #expect(try viewer.json()["success"] as? Bool == true)
        let created = try Self.data(viewer)
        #expect(created["username"] as? String == "rita")
        #expect((created["user_id"] as? Int ?? 0) >= 1, "\(created)")
        #expect((created["role"] as? [String: Any])?["name_en"] as? String == "Viewer")
        for roleID in [1, 2] {
            let refused = try await Self.post(
                cluster, "/api/v1/auth/register", ["username": "sam\(roleID)", "password": Self.md5("sam password"), "role_id": roleID])
            #expect(refused.status == 403, "role_id \(roleID) → \(refused.status) \(refused.text)")
            #expect(try refused.json()["success"] as? Bool == false)
        }
        // A viewer's token does not help.
        let rita = try await Self.login(cluster, "rita", "rita password")
        let byViewer = try await Self.post(
            cluster, "/api/v1/auth/register", ["username": "sam9", "password": Self.md5("sam password"), "role_id": 2], token: rita.access)
        #expect(byViewer.status == 403)

        // The admin adds an Engineer: the new user logs in on both routes, as Engineer here and operator natively.
        let engineer = try await Self.post(
            cluster, "/api/v1/auth/register", ["username": "tara", "password": Self.md5("tara password"), "role_id": 2], token: admin)
        #expect(engineer.status == 200, "\(engineer.text)")
        #expect((try Self.data(engineer)["role"] as? [String: Any])?["id"] as? Int == 2)
        let tara = try await Self.login(cluster, "tara", "tara password")
        let me = try Self.data(try await Self.get(cluster, "/api/v1/auth/me", token: tara.access))
        #expect((me["role"] as? [String: Any])?["name_en"] as? String == "Engineer", "\(me)")
        #expect(me["id"] as? Int != created["user_id"] as? Int, "ids are distinct")
        #expect(try await AuthTestKit.login(cluster, "tara", "tara password")["roles"] as? [String] == ["operator"])
        let adminAdded = try await Self.post(
            cluster, "/api/v1/auth/register", ["username": "uma", "password": Self.md5("uma password"), "role_id": 1], token: admin)
        #expect((try Self.data(adminAdded)["role"] as? [String: Any])?["name_en"] as? String == "Admin", "\(adminAdded.text)")
        #expect(try await AuthTestKit.login(cluster, "uma", "uma password")["roles"] as? [String] == ["admin"])

        // Bad input: 4xx in the envelope, nothing created.
        let cases: [(body: [String: Any], status: Int, mentions: String)] = [
            (["username": "vera", "password": Self.md5("vera password"), "role_id": 4], 400, "role_id"),
            (["username": "vera", "password": Self.md5("vera password"), "role_id": 0], 400, "role_id"),
            (["username": "vera", "password": "vera password"], 400, "32 hexadecimal"),
            (["username": "vera", "password": Self.md5("vera")], 400, "user name"),
            (["username": "vera", "password": Self.md5("")], 400, "empty"),
            (["username": "v", "password": Self.md5("vera password")], 400, "username"),
            (["username": "vera", "password": Self.md5("vera password"), "role_id": "2"], 400, "role_id"),
            (["username": "Admin", "password": Self.md5("vera password")], 403, "reserved"),
            (["username": "rita", "password": Self.md5("other password")], 409, "exists"),
        ]
        for entry in cases {
            let answer = try await Self.post(cluster, "/api/v1/auth/register", entry.body, token: admin)
            #expect(answer.status == entry.status, "\(entry.body) → \(answer.status) \(answer.text)")
            #expect(try answer.json()["success"] as? Bool == false, "\(answer.text)")
            #expect((try answer.json()["message"] as? String ?? "").contains(entry.mentions), "\(entry.body) → \(answer.text)")
        }
        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        let users = Set(try await redis.send("SMEMBERS", "users").array?.compactMap(\.text) ?? [])
        #expect(users == ["root", "rita", "tara", "uma"])
    }

    /// Accounts made by Switchboard's own tools log in with the typed password natively and with its MD5 on `/api/v1`.
    @Test func accountsMadeBySwitchboardLogInBothWays() async throws {
        let cluster = try await AuthTestKit.start(AuthTestKit.adminEnvironment)
        defer { cluster.shutdown() }
        // SWITCHBOARD_ADMIN_PASSWORD (what `.run/admin-password` holds under `switchboard up`).
        _ = try await AuthTestKit.waitForLogin(cluster, "root", AuthTestKit.adminPassword)
        _ = try await Self.login(cluster, "root", AuthTestKit.adminPassword)

        let added = try await cluster.runToExit(
            "switchboard", arguments: ["user", "add", "ivan", "--role", "operator", "--password", "ivan password"])
        #expect(added.status == 0, "\(added.output)")
        #expect(try await AuthTestKit.login(cluster, "ivan", "ivan password")["roles"] as? [String] == ["operator"])
        let ivan = try await Self.login(cluster, "ivan", "ivan password")
        let me = try Self.data(try await Self.get(cluster, "/api/v1/auth/me", token: ivan.access))
        #expect((me["role"] as? [String: Any])?["name_en"] as? String == "Engineer", "\(me)")
        #expect((me["role"] as? [String: Any])?["id"] as? Int == 2)

        try await AuthTestKit.register(cluster, "wanda", "wanda password")
        let wanda = try await Self.login(cluster, "wanda", "wanda password")
        let wandaMe = try Self.data(try await Self.get(cluster, "/api/v1/auth/me", token: wanda.access))
        #expect((wandaMe["role"] as? [String: Any])?["name_en"] as? String == "Viewer")

        // What is stored is PBKDF2 over the MD5 hex, never the MD5 hex itself.
        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        for name in ["root", "ivan", "wanda"] {
            let fields = try await Self.hash(redis, "user:\(name)")
            #expect(fields["scheme"] == "md5", "\(name): \(fields)")
            #expect(fields["password_hash"]?.count == 64)
            let md5 = Self.md5(name == "root" ? AuthTestKit.adminPassword : "\(name) password")
            #expect(!fields.values.contains { $0.contains(md5) }, "\(name): the MD5 is a password equivalent and is not stored")
        }
    }

    /// A record from before the MD5 scheme (PBKDF2 over the password itself) cannot be checked against a digest: it
    /// logs in natively, is re-hashed then, and logs in on `/api/v1` from that moment.
    @Test func anOldSchemeAccountWorksNativelyAndOnV1AfterItsNextNativeLogin() async throws {
        let cluster = try await AuthTestKit.start()
        defer { cluster.shutdown() }
        let redis = AuthTestKit.redis(cluster)
        defer { redis.shutdown() }
        let salt = SecureRandom.bytes(16)
        let derived = KDF.pbkdf2(password: Array("xena password".utf8), salt: salt, iterations: 1000, keyLength: 32, hash: .sha256)
        _ = try await redis.send(
            "HSET", "user:xena", "password_hash", Hex.encode(derived), "salt", Hex.encode(salt), "iterations", "1000", "roles", "viewer",
            "created_at", "1700000000")
        _ = try await redis.send("SADD", "users", "xena")

        let before = try await Self.post(cluster, "/api/v1/auth/login", ["username": "xena", "password": Self.md5("xena password")])
        #expect(before.status == 200)
        #expect(try before.json()["success"] as? Bool == false, "an old verifier cannot check a digest: \(before.text)")

        #expect(try await AuthTestKit.login(cluster, "xena", "xena password")["roles"] as? [String] == ["viewer"])
        let fields = try await Self.hash(redis, "user:xena")
        #expect(fields["scheme"] == "md5", "\(fields)")
        #expect(fields["password_hash"] != Hex.encode(derived))

        let after = try await Self.login(cluster, "xena", "xena password")
        let me = try Self.data(try await Self.get(cluster, "/api/v1/auth/me", token: after.access))
        #expect((me["id"] as? Int ?? 0) >= 1, "an old record gets an id on first use: \(me)")
        #expect(me["created_at"] as? String == "2023-11-14 22:13:20")
        #expect(try await AuthTestKit.login(cluster, "xena", "xena password")["user"] as? String == "xena", "the native route still works")
        let wrong = try await AuthTestKit.post(cluster, "/api/auth/login", ["username": "xena", "password": "xena passwort"])
        #expect(wrong.status == 401)
    }

    static func hash(_ redis: RedisClient, _ key: String) async throws -> [String: String] {
        let stored = try await redis.send("HGETALL", key).array?.compactMap(\.text) ?? []
        return Dictionary(uniqueKeysWithValues: stride(from: 0, to: stored.count - 1, by: 2).map { (stored[$0], stored[$0 + 1]) })
    }
}
