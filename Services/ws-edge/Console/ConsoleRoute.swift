import Hummingbird
import NIOCore

/// `GET /`: the live console (DESIGN.md §4), a page that needs nothing but this edge.
///
/// The page is the same bytes for everyone — the token lives in the browser's session storage, never in the page — so
/// it is rendered once and served from one buffer.
struct ConsoleRoute: Sendable {
    func register(on router: Router<EdgeRequestContext>) {
        let page = ByteBuffer(string: ConsolePage.html)
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .cacheControl: "no-cache",
                    // Inline script and style only, same-origin fetch and WebSocket: nothing is loaded from elsewhere.
                    .contentSecurityPolicy:
                        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
                        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                ],
                body: .init(byteBuffer: page)
            )
        }
    }
}
