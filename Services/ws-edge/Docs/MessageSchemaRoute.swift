import Foundation
import Hummingbird

/// `GET /docs/websocket.json`: every message type of `ClientMessageCatalog`, and every field of its `data` with the
/// JSON kinds accepted there, recorded from the payload type its service decodes (`PayloadSchema`).
///
/// Machine-readable so that tools cannot fall behind the code: the bad-input suite generates its cases from this list
/// (every field, every JSON kind, the numeric extremes), so a field added to a handler is fuzzed without touching the test.
struct MessageSchemaRoute: Sendable {
    let messages: MessageRouter

    struct Document: Encodable, Sendable {
        /// What the edge reads of every frame before it picks a handler (`type`, `id`).
        let envelope: [PayloadSchema.Field]
        let messages: [MessageSchema]
    }

    var document: Document {
        var examples: [String: String] = [:]
        for exchange in WebSocketCatalog.exchanges where !exchange.example.isEmpty {
            let object = (try? JSONSerialization.jsonObject(with: Data(exchange.example.utf8))) as? [String: Any]
            if let type = object?["type"] as? String { examples[type] = exchange.example }
        }
        return Document(
            envelope: ClientMessage.envelopeSchema.fields,
            messages: messages.schemas.map { schema in
                var schema = schema
                schema.example = examples[schema.type]
                return schema
            }
        )
    }

    func register(on router: Router<EdgeRequestContext>) {
        let response = document
        router.get("docs/websocket.json") { _, _ -> Response in
            JSONResponse.make(response, headers: [.accessControlAllowOrigin: "*"])
        }
    }
}
