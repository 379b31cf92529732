import Foundation
import NIOCore

/// `openapi.json` (in `Docs/Assets`), parsed once at startup: the one description of every HTTP route, the edge's and
/// the services' behind it, and (in `x-websocket`) of the WebSocket frames.
///
/// The file is written by hand and checked three ways: `make check-assets` reads its structure, `DocsTests` holds it to
/// the routes the edge and the services really declare, and this parse stops the edge at startup if it is not JSON.
struct APIDocument {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    let json: [String: Any]

    init(assets: EdgeAssets) throws {
        let data = assets.buffer("openapi.json").map { Data($0.readableBytesView) } ?? Data()
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["paths"] is [String: Any]
        else { throw Invalid(description: "openapi.json is not an OpenAPI document (a JSON object with `paths`)") }
        json = object
    }

    /// Each client frame type's example from the `x-websocket` frame table, by type.
    var websocketExamples: [String: String] {
        var examples: [String: String] = [:]
        let frames = (json["x-websocket"] as? [String: Any])?["frames"] as? [[String: Any]] ?? []
        for example in frames.compactMap({ $0["example"] as? String }) {
            let object = (try? JSONSerialization.jsonObject(with: Data(example.utf8))) as? [String: Any]
            if let type = object?["type"] as? String { examples[type] = example }
        }
        return examples
    }
}
