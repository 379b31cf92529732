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

    /// A valid frame per type, from the frame table of openapi.json (`APIDocument.websocketExamples`).
    let examples: [String: String]

    var document: Document {
        Document(
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
