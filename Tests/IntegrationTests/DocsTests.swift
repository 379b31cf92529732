import Foundation
import TestSupport
import Testing

/// `/docs/openapi.json` against the real system, from both sides: every route the edge's router holds and every route a
/// service declares is in the document, and every operation in the document is answered by the running edge with
/// something other than "no route". Also the document's OpenAPI 3.0 structure, and the readable page.
@Suite("API docs", .serialized, .timeLimit(.minutes(3)))
struct DocsTests {
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// Values for path parameters when probing: each names something harmless (nothing is created or deleted, since
    /// probes send no body and the keys do not exist).
    static let probeValues = [
        "channel": "1001", "type": "T", "key": "docs-probe", "name": "docs-probe-user", "room": "docs-probe-room", "ip": "192.0.2.1",
        "role": "docs-probe", "user": "anonymous", "file": "console.js",
    ]

    static func document(_ cluster: Cluster) async throws -> [String: Any] {
        let answer = try await cluster.http("GET", "/docs/openapi.json")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
        return try answer.json()
    }

    /// `METHOD /path` for every operation of the document, in document order.
    static func operations(_ document: [String: Any]) -> [(method: String, path: String, operation: [String: Any])] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        var result: [(String, String, [String: Any])] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            for method in methods {
                if let operation = (item as? [String: Any])?[method] as? [String: Any] { result.append((method.uppercased(), path, operation)) }
            }
        }
        return result
    }

    /// `{anything}` → `{}`, so `/api/menu/{key}` and `/api/menu/{id}` compare equal.
    static func shape(_ path: String) -> String {
        path.replacingOccurrences(of: #"\{[^}/]*\}"#, with: "{}", options: .regularExpression)
    }

    // MARK: structure

    @Test func theDocumentIsWellFormedOpenAPI30() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let document = try await Self.document(cluster)

        #expect((document["openapi"] as? String)?.hasPrefix("3.0.") == true, "openapi: \(document["openapi"] ?? "missing")")
        let info = document["info"] as? [String: Any] ?? [:]
        #expect((info["title"] as? String)?.isEmpty == false)
        #expect((info["version"] as? String)?.isEmpty == false)
        // The file is written by hand: its version follows the code's.
        let health = try await cluster.http("GET", "/health").json()
        #expect(info["version"] as? String == (health["edge"] as? [String: Any])?["version"] as? String, "info.version is the edge's version")
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(paths.count >= 30, "only \(paths.count) paths")

        let components = document["components"] as? [String: Any] ?? [:]
        let schemas = components["schemas"] as? [String: Any] ?? [:]
        let bearer = (components["securitySchemes"] as? [String: Any])?["bearerAuth"] as? [String: Any] ?? [:]
        #expect(bearer["type"] as? String == "http")
        #expect(bearer["scheme"] as? String == "bearer")
        #expect(bearer["bearerFormat"] as? String == "JWT")
        let error = schemas["Error"] as? [String: Any] ?? [:]
        #expect(Set(error["required"] as? [String] ?? []) == ["code", "message"])
        let getCode = schemas["GetCodeResult"] as? [String: Any] ?? [:]
        #expect(Set(getCode["required"] as? [String] ?? []) == ["code", "msg", "data"])
        let tags = Set(((document["tags"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        #expect(tags == ["ws-edge", "auth", "menu", "signer", "scheduler"])

        var operationIDs: Set<String> = []
        for (method, path, operation) in Self.operations(document) {
            let name = "\(method) \(path)"
            #expect(path.hasPrefix("/"), "\(name): a path starts with /")
            #expect((operation["summary"] as? String)?.isEmpty == false, "\(name) has a summary")
            let id = operation["operationId"] as? String ?? ""
            #expect(!id.isEmpty && operationIDs.insert(id).inserted, "\(name): operationId \(id) is missing or not unique")
            for tag in operation["tags"] as? [String] ?? [] { #expect(tags.contains(tag), "\(name): tag \(tag) is declared") }

            let responses = operation["responses"] as? [String: Any] ?? [:]
            #expect(!responses.isEmpty, "\(name) has responses")
            for (status, response) in responses {
                #expect(Int(status) != nil, "\(name): response \(status) is a status code")
                #expect(((response as? [String: Any])?["description"] as? String)?.isEmpty == false, "\(name) \(status) has a description")
            }

            // Path parameters: each `{x}` is declared as a required path parameter, and nothing else is.
            let templated = Set(path.matches(of: /\{([^}]+)\}/).map { String($0.1) })
            let parameters = operation["parameters"] as? [[String: Any]] ?? []
            let declared = Set(parameters.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
            #expect(templated == declared, "\(name): path parameters \(declared) match the template \(templated)")
            for parameter in parameters where parameter["in"] as? String == "path" {
                #expect(parameter["required"] as? Bool == true, "\(name): path parameter \(parameter["name"] ?? "") is required")
            }

            // An operation that needs a token documents the 401 it answers without one.
            let security = operation["security"] as? [[String: Any]]
            if let security, !security.isEmpty, !security.contains(where: \.isEmpty) {
                #expect(responses["401"] != nil, "\(name) needs a token and documents 401")
            }
            // Forwarded operations document the bus failures.
            if (operation["tags"] as? [String])?.first != "ws-edge" {
                #expect(responses["503"] != nil && responses["504"] != nil, "\(name) documents 503 and 504")
            }
        }

        // Every $ref points at a schema that exists.
        let text = try await cluster.http("GET", "/docs/openapi.json").text
        for match in text.matches(of: /"#\/components\/schemas\/([A-Za-z0-9_]+)"/) {
            #expect(schemas[String(match.1)] != nil, "schema \(match.1) is referenced and defined")
        }

        // The WebSocket protocol rides along, since OpenAPI cannot describe it.
        let websocket = document["x-websocket"] as? [String: Any] ?? [:]
        let frames = (websocket["frames"] as? [[String: Any]] ?? []).map { "\($0["client"] ?? "") \($0["server"] ?? "")" }.joined(separator: " ")
        for type in ["subscribe", "data_batch", "control_ack", "join_room", "chat_message", "ask_question", "answer", "menu_update", "error"] {
            #expect(frames.contains(type), "x-websocket describes \(type)")
        }
    }

    // MARK: coverage

    @Test func everyRouteOfTheRouterAndTheServicesIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let document = try await Self.document(cluster)
        let documented = Self.operations(document)
        let documentedKeys = Set(documented.map { "\($0.method) \(Self.shape($0.path))" })
        #expect(documentedKeys.count == documented.count)

        // 1. The edge's router, as Hummingbird lists it.
        let routesAnswer = try await cluster.http("GET", "/docs/routes")
        #expect(routesAnswer.status == 200, "\(routesAnswer.text)")
        let routerRoutes = (try routesAnswer.json()["routes"] as? [[String: Any]] ?? []).compactMap { route -> (String, String)? in
            guard let method = route["method"] as? String, let path = route["path"] as? String else { return nil }
            return (method, path)
        }
        #expect(routerRoutes.count >= 10, "the router lists its routes: \(routerRoutes)")
        // Forwarded prefixes are registered as `prefix` and `prefix/**`; their real routes are the services' own.
        let forwardPrefixes = Set(routerRoutes.map(\.1).filter { $0.hasSuffix("/**") }.map { String($0.dropLast(3)) })
        #expect(forwardPrefixes.contains("/api/auth") && forwardPrefixes.contains("/getCode"), "\(forwardPrefixes)")
        let edgeRoutes = routerRoutes.filter { !$0.1.hasSuffix("/**") && !forwardPrefixes.contains($0.1) }
        for (method, path) in edgeRoutes {
            #expect(documentedKeys.contains("\(method) \(Self.shape(path))"), "the edge routes \(method) \(path) but /docs/openapi.json lacks it")
        }

        // 2. Every route the services declare (`routes.on("METHOD", "/pattern")`, the only way to add one).
        let serviceRoutes = try ServiceRouteScan.all()
        #expect(serviceRoutes.count >= 20, "found \(serviceRoutes.count) service routes")
        for route in serviceRoutes {
            #expect(
                documentedKeys.contains("\(route.method) \(Self.shape(route.path))"),
                "\(route.file) declares \(route.method) \(route.path) but /docs/openapi.json lacks it")
            #expect(
                forwardPrefixes.contains { route.path == $0 || route.path.hasPrefix($0 + "/") },
                "\(route.file) declares \(route.path), which no forward prefix of the edge reaches")
        }

        // 3. Nothing is documented that nobody declares.
        let declared = Set(edgeRoutes.map { "\($0.0) \(Self.shape($0.1))" } + serviceRoutes.map { "\($0.method) \(Self.shape($0.path))" })
        for key in documentedKeys.sorted() {
            #expect(declared.contains(key), "/docs/openapi.json documents \(key), which neither the edge nor a service declares")
        }

        // 4. The probe below can tell "no route" apart, at the edge and behind it.
        let missingAtEdge = try await cluster.http("GET", "/docs-probe/no-such-route")
        #expect(Self.isNoRoute(missingAtEdge), "edge no-route: \(missingAtEdge.status) \(missingAtEdge.text)")
        let missingBehind = try await cluster.http("GET", "/api/auth/no-such-route")
        #expect(Self.isNoRoute(missingBehind), "service no-route: \(missingBehind.status) \(missingBehind.text)")

        // 5. Every documented operation is answered by the real edge (as an admin, with no body: nothing changes).
        let admin = try await TestTokens.access("docs-admin", roles: ["admin"])
        for (method, path, _) in documented {
            var concrete = path
            for match in path.matches(of: /\{([^}]+)\}/) {
                concrete = concrete.replacingOccurrences(of: String(match.0), with: Self.probeValues[String(match.1)] ?? "x")
            }
            let answer = try await cluster.http(method, concrete, headers: ["Authorization": "Bearer \(admin)"], timeout: 10)
            #expect(
                !Self.isNoRoute(answer),
                "\(method) \(path) is documented but \(method) \(concrete) answers \(answer.status) \(answer.text.prefix(200))")
        }
    }

    /// Hummingbird's "no route" is a bare 404; a service's is 404 `no route for …` or 405 `method_not_allowed`.
    static func isNoRoute(_ answer: Cluster.HTTPAnswer) -> Bool {
        switch answer.status {
        case 405: return true
        case 404: return answer.body.isEmpty || answer.text.contains("no route for")
        default: return false
        }
    }

    // MARK: the page

    @Test func theDocsPageShowsEveryOperationAndTheWebSocketProtocolWithoutLoadingAnything() async throws {
        let cluster = try await Cluster.start()
        defer { cluster.shutdown() }
        let document = try await Self.document(cluster)
        let page = try await cluster.http("GET", "/docs")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        let html = page.text
        for (method, path, _) in Self.operations(document) {
            let escaped = path.replacingOccurrences(of: "&", with: "&amp;")
            #expect(html.contains("\(method)</span> <code>\(escaped)</code>"), "/docs shows \(method) \(path)")
        }
        #expect(html.contains("WebSocket protocol"))
        for type in ["subscribe_ack", "data_batch", "room_joined", "question_accepted", "menu_update", "permission_check_result"] {
            #expect(html.contains(type), "/docs describes \(type)")
        }
        #expect(html.contains("href=\"/docs/openapi.json\""))
        // Offline: nothing is fetched from another host.
        #expect(html.range(of: #"(src|href)\s*=\s*"(https?:)?//"#, options: .regularExpression) == nil, "/docs loads nothing from elsewhere")
        #expect(!html.contains("<script"), "/docs needs no script")
        // Filled in from the document: no template marker is left, and each tag's section is there.
        #expect(!html.contains("<!--CONTENT-->") && !html.contains("<!--VERSION-->"))
        for tag in ["ws-edge", "auth", "menu", "signer", "scheduler"] { #expect(html.contains("<section id=\"tag-\(tag)\">"), "/docs has \(tag)") }
    }
}

/// The routes the services declare, read from their sources: every service route is added with
/// `routes.on("METHOD", "/pattern")` on an `HTTPRoutes.Builder`. A call that is not of that literal form fails the scan,
/// so a route cannot slip past the docs test by being written differently.
enum ServiceRouteScan {
    struct Route {
        let method: String
        let path: String
        let file: String
    }

    static var servicesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Services")
    }

    static func all() throws -> [Route] {
        var routes: [Route] = []
        let root = servicesDirectory
        let services = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0 != "ws-edge" }.sorted()
        #expect(Set(services).isSuperset(of: ["auth", "menu", "scheduler", "signer"]), "services found: \(services)")
        for service in services {
            guard let files = FileManager.default.enumerator(atPath: root.appendingPathComponent(service).path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let relative = "Services/\(service)/\(file)"
                let text = try String(contentsOf: root.appendingPathComponent(service).appendingPathComponent(file), encoding: .utf8)
                let calls = text.matches(of: /routes\.on\(/).count
                let literal = text.matches(of: /routes\.on\(\s*"([A-Za-z]+)"\s*,\s*"([^"]+)"/)
                #expect(
                    calls == literal.count,
                    "\(relative) adds \(calls - literal.count) route(s) without literal method and path; the docs test cannot check them")
                for match in literal {
                    routes.append(Route(method: String(match.1).uppercased(), path: String(match.2), file: relative))
                }
            }
        }
        return routes
    }
}
