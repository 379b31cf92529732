import Foundation
import Hummingbird
import NIOCore

/// `GET /docs` (the readable page), `GET /docs/openapi.json` (OpenAPI 3.0, the file as written) and `GET /docs/routes`
/// (what the router holds).
///
/// `/docs/routes` exists so that the docs test can compare the document with the routes the router really has: Hummingbird
/// lists them (`Router.routes`), but only inside this process. It reads the list when asked, so routes registered after
/// these are in it too.
struct DocsRoutes: Sendable {
    struct RouteLine: Encodable, Sendable {
        let method: String
        let path: String
    }

    let page: ByteBuffer
    let document: ByteBuffer

    init(assets: EdgeAssets, document: APIDocument) {
        page = ByteBuffer(string: DocsPage.render(template: assets.text("docs.html"), document: document))
        self.document = assets.buffer("openapi.json") ?? ByteBuffer()
    }

    func register(on router: Router<EdgeRequestContext>) {
        let page = page
        let document = document
        router.get("docs") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: page))
        }
        router.get("docs/openapi.json") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .accessControlAllowOrigin: "*"],
                body: .init(byteBuffer: document)
            )
        }
        let registered = RegisteredRoutes(router)
        router.get("docs/routes") { _, _ -> Response in
            JSONResponse.make(["routes": registered.lines], snakeCase: false)
        }
    }
}

/// Read access to the router's route table from request handlers.
///
/// `Router` is not `Sendable` because registration mutates it. Every route is registered in main.swift before the server
/// starts accepting requests (which orders those writes before any read here), and nothing mutates the router afterwards,
/// so requests only ever read a finished table.
private final class RegisteredRoutes: @unchecked Sendable {
    private let router: Router<EdgeRequestContext>

    init(_ router: Router<EdgeRequestContext>) {
        self.router = router
    }

    var lines: [DocsRoutes.RouteLine] {
        router.routes.map { DocsRoutes.RouteLine(method: $0.method.rawValue, path: $0.path.description) }
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }
}
