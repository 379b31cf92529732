import Foundation
import SwitchboardProtocol

/// The `/docs` page: `docs.html` (frame and style) filled in from the OpenAPI document, once at startup.
///
/// Rendered on the server so that it needs no script, no CDN and no network to read, and so that a test can check it with
/// a plain HTTP GET. It reads only the document, so the page and `/docs/openapi.json` cannot disagree.
enum DocsPage {
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]

    static func render(template: String, document: APIDocument) -> String {
        template.replacingOccurrences(of: "<!--VERSION-->", with: escape(SwitchboardVersion.current))
            .replacingOccurrences(of: "<!--CONTENT-->", with: contents(document.json))
    }

    /// One operation of the document: where it is, and its OpenAPI object.
    struct Operation {
        let method: String
        let path: String
        let fields: [String: Any]
        var id: String { fields["operationId"] as? String ?? "\(method)_\(path)" }
    }

    /// Every operation whose first tag is `tag`, by path, then in the order of `methods`.
    static func operations(_ document: [String: Any], tag: String) -> [Operation] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        return paths.keys.sorted().flatMap { path in
            methods.compactMap { method -> Operation? in
                guard let fields = (paths[path] as? [String: Any])?[method] as? [String: Any],
                    (fields["tags"] as? [String])?.first == tag
                else { return nil }
                return Operation(method: method.uppercased(), path: path, fields: fields)
            }
        }
    }

    private static func contents(_ document: [String: Any]) -> String {
        let tags = (document["tags"] as? [[String: Any]] ?? []).compactMap { tag in
            (tag["name"] as? String).map { (name: $0, description: tag["description"] as? String ?? "") }
        }
        var nav = "<nav aria-label=\"Contents\"><h2>Contents</h2><ul>\n"
        var main = "<main>\n"
        for tag in tags {
            let operations = operations(document, tag: tag.name)
            nav += "<li><a href=\"#tag-\(escape(tag.name))\">\(escape(tag.name))</a><ul>\n"
            main += "<section id=\"tag-\(escape(tag.name))\"><h2>\(escape(tag.name))</h2>\n<p>\(inline(tag.description))</p>\n"
            for operation in operations {
                nav +=
                    "<li><a href=\"#\(escape(operation.id))\"><span class=\"method\">\(operation.method)</span> \(escape(operation.path))</a></li>\n"
                main += render(operation)
            }
            nav += "</ul></li>\n"
            main += "</section>\n"
        }
        nav += "<li><a href=\"#websocket\">WebSocket protocol</a></li>\n<li><a href=\"#schemas\">Schemas</a></li>\n</ul></nav>\n"
        main += websocketSection(document["x-websocket"] as? [String: Any] ?? [:])
        main += schemaSection((document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:])
        return nav + main + "</main>"
    }

    private static func render(_ operation: Operation) -> String {
        let fields = operation.fields
        var out = "<article class=\"op\" id=\"\(escape(operation.id))\">\n"
        out +=
            "<h3><span class=\"method m-\(operation.method.lowercased())\">\(operation.method)</span> <code>\(escape(operation.path))</code></h3>\n"
        out += "<p class=\"summary\">\(inline(fields["summary"] as? String ?? ""))</p>\n"
        out += "<p class=\"access\">Access: \(escape(accessText(fields)))</p>\n"
        if let details = fields["description"] as? String, !details.isEmpty { out += "<p>\(inline(details))</p>\n" }
        let parameters = fields["parameters"] as? [[String: Any]] ?? []
        if !parameters.isEmpty {
            out +=
                "<table><caption>Parameters</caption><thead><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr></thead><tbody>\n"
            for parameter in parameters {
                out += "<tr><td><code>\(escape(parameter["name"] as? String ?? ""))</code></td><td>\(escape(parameter["in"] as? String ?? ""))</td>"
                out +=
                    "<td>\(parameter["required"] as? Bool == true ? "yes" : "no")</td><td>\(inline(parameter["description"] as? String ?? ""))</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        if let body = fields["requestBody"] as? [String: Any], let (type, media) = (body["content"] as? [String: Any])?.first {
            let media = media as? [String: Any] ?? [:]
            let optional = body["required"] as? Bool == true ? "" : ", optional"
            out += "<p>Request body (<code>\(escape(type))</code>\(optional)): \(schemaName(media["schema"]))</p>\n"
            if let example = media["example"] { out += "<pre class=\"example\">\(escape(pretty(example)))</pre>\n" }
        }
        out += "<table><caption>Responses</caption><thead><tr><th>status</th><th>description</th><th>body</th></tr></thead><tbody>\n"
        let responses = fields["responses"] as? [String: Any] ?? [:]
        for status in responses.keys.sorted() {
            let response = responses[status] as? [String: Any] ?? [:]
            let content = (response["content"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
            let bodyText =
                content.isEmpty
                ? "—"
                : content.map { type, media in
                    // A plain string body (HTML, Prometheus text) needs no schema beside its media type.
                    let schema = (media as? [String: Any])?["schema"]
                    let isString = (schema as? [String: Any]).map { $0.count == 1 && $0["type"] as? String == "string" } ?? true
                    return "\(escape(type)) \(isString ? "" : schemaName(schema))"
                }.joined(separator: "<br>")
            out += "<tr><td class=\"status s\(status.prefix(1))\">\(escape(status))</td>"
            out += "<td>\(inline(response["description"] as? String ?? ""))</td><td>\(bodyText)</td></tr>\n"
        }
        out += "</tbody></table>\n</article>\n"
        return out
    }

    /// Who may call it, in words, from `security` and `x-required-roles`.
    static func accessText(_ fields: [String: Any]) -> String {
        let security = fields["security"] as? [[String: Any]] ?? []
        if security.isEmpty { return "public" }
        if security.contains(where: \.isEmpty) { return "public; a bearer token personalises the answer" }
        guard let roles = fields["x-required-roles"] as? [String], !roles.isEmpty else { return "bearer token" }
        return "bearer token with role \(roles.joined(separator: " or "))"
    }

    private static func websocketSection(_ websocket: [String: Any]) -> String {
        var out = "<section id=\"websocket\"><h2>WebSocket protocol</h2>\n<p>\(inline(websocket["envelope"] as? String ?? ""))</p>\n"
        out += "<table><caption>Endpoints</caption><thead><tr><th>path</th><th>what</th></tr></thead><tbody>\n"
        for endpoint in websocket["endpoints"] as? [[String: Any]] ?? [] {
            out += "<tr><td><code>\(escape(endpoint["path"] as? String ?? ""))</code></td>"
            out += "<td>\(inline(endpoint["description"] as? String ?? ""))</td></tr>\n"
        }
        out += "</tbody></table>\n"
        out += "<table class=\"frames\"><caption>Frame types</caption>"
        out += "<thead><tr><th>client → server</th><th>server → client</th><th>notes</th><th>example</th></tr></thead><tbody>\n"
        for frame in websocket["frames"] as? [[String: Any]] ?? [] {
            let example = frame["example"] as? String ?? ""
            out +=
                "<tr><td><code>\(escape(frame["client"] as? String ?? ""))</code></td><td><code>\(escape(frame["server"] as? String ?? ""))</code></td>"
            out += "<td>\(inline(frame["notes"] as? String ?? ""))</td><td>\(example.isEmpty ? "" : "<code>\(escape(example))</code>")</td></tr>\n"
        }
        out += "</tbody></table>\n</section>\n"
        return out
    }

    private static func schemaSection(_ schemas: [String: Any]) -> String {
        var out = "<section id=\"schemas\"><h2>Schemas</h2>\n"
        for name in schemas.keys.sorted() {
            out += "<h3 id=\"schema-\(escape(name))\">\(escape(name))</h3>\n<pre>\(escape(pretty(schemas[name] ?? [:])))</pre>\n"
        }
        out += "</section>\n"
        return out
    }

    /// A link to a named schema, or the schema itself for inline ones.
    private static func schemaName(_ schema: Any?) -> String {
        if let reference = (schema as? [String: Any])?["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            return "<a href=\"#schema-\(escape(name))\">\(escape(name))</a>"
        }
        return "<code>\(escape(schema.map { pretty($0, compact: true) } ?? ""))</code>"
    }

    private static func pretty(_ value: Any, compact: Bool = false) -> String {
        let options: JSONSerialization.WritingOptions =
            compact
            ? [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
            : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
        return (try? JSONSerialization.data(withJSONObject: value, options: options)).map { String(decoding: $0, as: UTF8.self) } ?? ""
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
}
