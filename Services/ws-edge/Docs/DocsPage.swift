import SwitchboardProtocol

/// The `/docs` page, rendered on the server from the same catalog as `/docs/openapi.json`.
///
/// Server-side so that it needs no script, no CDN and no network to read, and so that a test can check it with a plain
/// HTTP GET. Written once at startup: the catalog is constant.
enum DocsPage {
    static let html: String = render()

    static func render(operations: [APIOperation] = APICatalog.operations) -> String {
        var out = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Switchboard API</title>
            <style>\(style)</style>
            </head>
            <body>
            <header><h1>Switchboard API <small>\(escape(SwitchboardVersion.current))</small></h1>
            <p>Every HTTP route of the edge and of the services behind it, and the WebSocket protocol.
            Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.0). Try it live: <a href="/">the console</a>.</p>
            <p>Errors are <code>{"code", "message"}</code> with the matching status, except <code>/getCode</code>, which keeps
            <code>{"code", "msg", "data"}</code>. Authenticate with <code>Authorization: Bearer &lt;access JWT&gt;</code> from
            <code>POST /api/auth/login</code>.</p>
            </header>
            <nav aria-label="Contents"><h2>Contents</h2><ul>

            """
        for owner in APIOperation.Owner.allCases {
            out += "<li><a href=\"#tag-\(owner.rawValue)\">\(escape(owner.rawValue))</a><ul>\n"
            for operation in operations where operation.owner == owner {
                out +=
                    "<li><a href=\"#\(operation.operationID)\"><span class=\"method\">\(operation.method)</span> \(escape(operation.path))</a></li>\n"
            }
            out += "</ul></li>\n"
        }
        out += "<li><a href=\"#websocket\">WebSocket protocol</a></li>\n<li><a href=\"#schemas\">Schemas</a></li>\n</ul></nav>\n<main>\n"
        for owner in APIOperation.Owner.allCases {
            out += "<section id=\"tag-\(owner.rawValue)\"><h2>\(escape(owner.rawValue))</h2>\n"
            out += "<p>\(inline(OpenAPIDocument.tagDescriptions[owner] ?? ""))</p>\n"
            for operation in operations where operation.owner == owner { out += render(operation) }
            out += "</section>\n"
        }
        out += websocketSection()
        out += schemaSection()
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    private static func render(_ operation: APIOperation) -> String {
        var out = "<article class=\"op\" id=\"\(operation.operationID)\">\n"
        out +=
            "<h3><span class=\"method m-\(operation.method.lowercased())\">\(operation.method)</span> <code>\(escape(operation.path))</code></h3>\n"
        out += "<p class=\"summary\">\(inline(operation.summary))</p>\n"
        out += "<p class=\"access\">Access: \(escape(operation.accessText))</p>\n"
        if !operation.details.isEmpty { out += "<p>\(inline(operation.details))</p>\n" }
        if !operation.parameters.isEmpty {
            out +=
                "<table><caption>Parameters</caption><thead><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr></thead><tbody>\n"
            for parameter in operation.parameters {
                out += "<tr><td><code>\(escape(parameter.name))</code></td><td>\(parameter.location.rawValue)</td>"
                out += "<td>\(parameter.required ? "yes" : "no")</td><td>\(inline(parameter.description))</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        if let body = operation.body {
            out += "<p>Request body (<code>\(escape(body.contentType))</code>\(body.required ? "" : ", optional")): \(schemaName(body.schema))</p>\n"
            if let example = body.example {
                out += "<pre class=\"example\">\(escape(example.prettyText))</pre>\n"
            }
        }
        out += "<table><caption>Responses</caption><thead><tr><th>status</th><th>description</th><th>body</th></tr></thead><tbody>\n"
        for response in operation.allResponses {
            let bodyText =
                response.contentType.map { type in
                    // A plain string body (HTML, Prometheus text) needs no schema beside its media type.
                    let schema = response.schema.flatMap { $0.text == Schema.string.text ? nil : schemaName($0) } ?? ""
                    return "\(escape(type)) \(schema)"
                } ?? "—"
            out += "<tr><td class=\"status s\(response.status / 100)\">\(response.status)</td>"
            out += "<td>\(inline(response.description))</td><td>\(bodyText)</td></tr>\n"
        }
        out += "</tbody></table>\n</article>\n"
        return out
    }

    private static func websocketSection() -> String {
        var out = "<section id=\"websocket\"><h2>WebSocket protocol</h2>\n<p>\(inline(WebSocketCatalog.envelope))</p>\n"
        out += "<table><caption>Endpoints</caption><thead><tr><th>path</th><th>what</th></tr></thead><tbody>\n"
        for endpoint in WebSocketCatalog.endpoints {
            out += "<tr><td><code>\(escape(endpoint.path))</code></td><td>\(inline(endpoint.description))</td></tr>\n"
        }
        out += "</tbody></table>\n"
        out += "<table class=\"frames\"><caption>Frame types</caption>"
        out += "<thead><tr><th>client → server</th><th>server → client</th><th>notes</th><th>example</th></tr></thead><tbody>\n"
        for exchange in WebSocketCatalog.exchanges {
            out += "<tr><td><code>\(escape(exchange.client))</code></td><td><code>\(escape(exchange.server))</code></td>"
            out += "<td>\(inline(exchange.notes))</td><td>\(exchange.example.isEmpty ? "" : "<code>\(escape(exchange.example))</code>")</td></tr>\n"
        }
        out += "</tbody></table>\n</section>\n"
        return out
    }

    private static func schemaSection() -> String {
        var out = "<section id=\"schemas\"><h2>Schemas</h2>\n"
        if case .object(let schemas) = OpenAPIDocument.schemas {
            for (name, schema) in schemas {
                out += "<h3 id=\"schema-\(name)\">\(escape(name))</h3>\n<pre>\(escape(schema.prettyText))</pre>\n"
            }
        }
        out += "</section>\n"
        return out
    }

    /// A link to a named schema, or the schema itself for inline ones.
    private static func schemaName(_ schema: JSONValue) -> String {
        if case .string(let reference)? = schema["$ref"] {
            let name = String(reference.split(separator: "/").last ?? "")
            return "<a href=\"#schema-\(escape(name))\">\(escape(name))</a>"
        }
        return "<code>\(escape(schema.text))</code>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Escapes text and turns `backticked` spans into `<code>`.
    static func inline(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return parts.enumerated().map { index, part in index % 2 == 1 ? "<code>\(escape(String(part)))</code>" : escape(String(part)) }.joined()
    }

    static let style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fbfbfc}
        header,nav,main{max-width:1100px;margin:0 auto;padding:0 1rem}
        h1 small{font-weight:normal;color:#57606a;font-size:.6em}
        nav ul{columns:2;padding-left:1.2rem}nav ul ul{columns:1}
        .op{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0;background:#fff}
        .op h3{margin:.3rem 0}.summary{font-weight:600;margin:.2rem 0}.access{color:#57606a;margin:.2rem 0}
        .method{display:inline-block;min-width:4.2em;text-align:center;font:bold 12px monospace;border-radius:4px;padding:2px 4px;
        background:#ddf4ff;color:#0550ae}
        .m-post{background:#dafbe1;color:#116329}.m-put{background:#fff8c5;color:#7d4e00}.m-delete{background:#ffebe9;color:#a40e26}
        table{border-collapse:collapse;margin:.5rem 0;width:100%}caption{text-align:left;font-weight:600}
        th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f6f8fa}
        .status{font-family:monospace}.s2{color:#116329}.s3{color:#0550ae}.s4{color:#9a6700}.s5{color:#a40e26}
        pre{background:#f6f8fa;padding:.5rem;overflow:auto;border-radius:4px}code{font-size:.92em}
        .frames code{white-space:pre-wrap;word-break:break-word}
        """
}
