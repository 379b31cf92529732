import Hummingbird
import NIOCore

/// `GET /`: the live console (DESIGN.md §4), a page that needs nothing but this edge; `GET /assets/{file}`: its script
/// and style.
///
/// The files are the same bytes for everyone — the token lives in the browser's session storage, never in the page — so
/// each is served from the buffer `EdgeAssets` read at startup. Only the names in `served` answer: a request cannot
/// reach any other file.
struct ConsoleRoute: Sendable {
    let assets: EdgeAssets

    static let served: Set<String> = ["console.js", "console.css"]

    /// Script and style from this edge only, same-origin fetch and WebSocket: nothing is loaded from elsewhere, and no
    /// inline script runs.
    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func register(on router: Router<EdgeRequestContext>) {
        let assets = assets
        router.get("/") { _, _ -> Response in
            Self.file("console.html", from: assets) ?? JSONResponse.error("not_found", "no console page", status: .notFound)
        }
        router.get("/assets/{file}") { _, context -> Response in
            let name = context.parameters.get("file") ?? ""
            guard Self.served.contains(name), let response = Self.file(name, from: assets) else {
                return JSONResponse.error("not_found", "no such asset", status: .notFound)
            }
            return response
        }
    }

    private static func file(_ name: String, from assets: EdgeAssets) -> Response? {
        guard let buffer = assets.buffer(name) else { return nil }
        return Response(
            status: .ok,
            headers: [.contentType: EdgeAssets.contentType(name), .cacheControl: "no-cache", .contentSecurityPolicy: securityPolicy],
            body: .init(byteBuffer: buffer)
        )
    }
}
