import Foundation
import TestSupport
import Testing

/// Every documented route also answers with a trailing slash (issue 16): the Django menu client and its curl check call
/// `/api/menu/version/`. The edge's router and the services' `HTTPRoutes` both match on non-empty path segments, so the
/// rule holds for forwarded routes and the edge's own alike; these tests keep it so, and keep a 404 a 404.
@Suite("Trailing slash", .serialized, .timeLimit(.minutes(3)))
struct TrailingSlashTests {
    @Test func menuVersionAnswersTheSameWithAndWithoutTheSlashETagIncluded() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)
        #expect(try await api.put("home", ["name": "Home", "url": "/", "sort_order": 1], as: api.admin).status == 201)

        let plain = try await cluster.http("GET", "/api/menu/version")
        let slashed = try await cluster.http("GET", "/api/menu/version/")
        #expect(plain.status == 200)
        #expect(slashed.status == 200, "\(slashed.text)")
        let plainInfo = try MenuAPI.VersionInfo(plain)
        let slashedInfo = try MenuAPI.VersionInfo(slashed)
        #expect(slashedInfo.version == 1)
        #expect(slashedInfo.identity == plainInfo.identity)
        let etag = try #require(slashed.headers["etag"])
        #expect(etag == plain.headers["etag"])
        // The conditional request the Django client makes, on the slashed path.
        let unchanged = try await cluster.http("GET", "/api/menu/version/", headers: ["If-None-Match": etag])
        #expect(unchanged.status == 304)
        #expect(unchanged.body.isEmpty)
    }

    @Test func writesWithTheSlashReachTheirHandler() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let api = try await MenuAPI.start(cluster)

        let body = Data(#"{"username":"slash-user","password":"slash-pass-1"}"#.utf8)
        let json = ["Content-Type": "application/json"]
        let registered = try await cluster.http("POST", "/api/auth/register/", body: body, headers: json)
        #expect(registered.status == 201, "\(registered.text)")
        let login = try await cluster.http("POST", "/api/auth/login/", body: body, headers: json)
        #expect(login.status == 200, "\(login.text)")
        #expect(try login.json()["access_token"] is String)
        let wrong = try await cluster.http(
            "POST", "/api/auth/login/", body: Data(#"{"username":"slash-user","password":"wrong-pass"}"#.utf8), headers: json)
        #expect(wrong.status == 401)

        var headers = MenuAPI.bearer(api.admin)
        headers["Content-Type"] = "application/json"
        let put = try await cluster.http("PUT", "/api/menu/dash/", body: Data(#"{"name":"Dash","url":"/d"}"#.utf8), headers: headers)
        #expect(put.status == 201, "\(put.text)")
        let menus = try await api.tree(as: api.admin)
        #expect(menus.contains { $0["key"] as? String == "dash" }, "\(menus)")
        #expect(try await cluster.http("DELETE", "/api/menu/dash/", headers: MenuAPI.bearer(api.admin)).status == 200)
    }

    @Test func theEdgesOwnRoutesTakeTheSlashAndA404StaysA404() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }

        let admin = MenuAPI.bearer(try await TestTokens.access("root", roles: ["admin"]))
        for path in ["/health/", "/metrics/", "/docs/", "/docs/openapi.json/", "/websocket/status/"] {
            let answer = try await cluster.http("GET", path, headers: admin)
            let plain = try await cluster.http("GET", String(path.dropLast()), headers: admin)
            #expect(answer.status == 200, "\(path): \(answer.status) \(answer.text.prefix(200))")
            #expect(answer.status == plain.status, "\(path)")
            #expect(answer.headers["content-type"] == plain.headers["content-type"], "\(path)")
        }
        // Unknown paths stay 404 with or without the slash, at the edge and in a service.
        for path in ["/no-such-route", "/no-such-route/", "/health/extra/", "/api/menu/version/extra", "/api/menu/version/extra/"] {
            let answer = try await cluster.http("GET", path)
            #expect(answer.status == 404, "\(path): \(answer.status) \(answer.text.prefix(200))")
        }
        // The slash does not change the method rules either: `/api/menu/{key}` takes PUT and DELETE, not POST.
        #expect(try await cluster.http("POST", "/api/menu/version/").status == 405)
    }
}
