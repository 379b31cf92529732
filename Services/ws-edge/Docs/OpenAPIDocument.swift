import SwitchboardProtocol

/// `APICatalog` rendered as an OpenAPI 3.0 document, once at startup: the catalog is constant, so every request for
/// `/docs/openapi.json` writes the same bytes.
enum OpenAPIDocument {
    static let document: JSONValue = build()
    static let text: String = document.prettyText

    static func build(operations: [APIOperation] = APICatalog.operations) -> JSONValue {
        var paths: [(key: String, value: JSONValue)] = []
        for operation in operations {
            let entry = (key: operation.method.lowercased(), value: operation.openAPI)
            if let index = paths.firstIndex(where: { $0.key == operation.path }), case .object(var methods) = paths[index].value {
                methods.append(entry)
                paths[index].value = .object(methods)
            } else {
                paths.append((operation.path, .object([entry])))
            }
        }
        return [
            "openapi": "3.0.3",
            "info": [
                "title": "Switchboard HTTP API",
                "version": .string(SwitchboardVersion.current),
                "description": .string(
                    "Every HTTP route of the Switchboard edge: its own (tag ws-edge) and the ones it forwards over the bus to the service "
                        + "named by the tag. Errors are `{\"code\", \"message\"}` (except `/getCode`, which keeps `{\"code\", \"msg\", \"data\"}`). "
                        + "Authenticate with `Authorization: Bearer <access JWT>` from `POST /api/auth/login`. "
                        + "The WebSocket protocol is in `x-websocket` and on `/docs`."),
            ],
            "servers": [["url": "/"]],
            "tags": .array(
                APIOperation.Owner.allCases.map { owner in
                    ["name": .string(owner.rawValue), "description": .string(tagDescriptions[owner] ?? "")]
                }),
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "bearerAuth": [
                        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "An access token from POST /api/auth/login (or /api/auth/refresh).",
                    ]
                ],
                "schemas": schemas,
            ],
            "x-websocket": WebSocketCatalog.openAPI,
        ]
    }

    static let tagDescriptions: [APIOperation.Owner: String] = [
        .edge: "Answered by the edge itself.",
        .auth: "Forwarded to auth: accounts, tokens, roles, room ACLs, the IP blocklist.",
        .menu: "Forwarded to menu: menus, versions, permissions.",
        .signer: "Forwarded to signer: the e-port signing bridge.",
        .scheduler: "Forwarded to scheduler: telemetry values, alarms, broadcasts.",
    ]

    static let schemas: JSONValue = [
        "Error": Schema.object(
            [
                "code": Schema.string("A stable machine-readable code, e.g. `invalid_body`."),
                "message": Schema.string("What went wrong, for people."),
            ],
            required: ["code", "message"], description: "Every error of the API except /getCode's."),
        "GetCodeResult": Schema.object(
            [
                "code": Schema.integer("200 on success, else the HTTP status."),
                "msg": Schema.string("`成功` on success, else what went wrong."),
                "data": ["description": "The hex cipher of the result on success, `false` on failure.", "oneOf": [Schema.string, Schema.boolean]],
            ],
            required: ["code", "msg", "data"], description: "The answer of /getCode, success or failure."),
        "Credentials": Schema.object(["username": Schema.string, "password": Schema.string], required: ["username", "password"]),
        "Session": Schema.object(
            [
                "access_token": Schema.string("A JWT for `Authorization: Bearer` and `/ws?token=`."), "token_type": Schema.string("`Bearer`."),
                "expires_in": Schema.integer("Seconds the access token lives."), "refresh_token": Schema.string,
                "refresh_expires_in": Schema.integer, "user": Schema.string, "roles": Schema.array(Schema.string),
            ],
            required: ["access_token", "token_type", "expires_in", "refresh_token", "user", "roles"]),
        "User": Schema.object(
            ["user": Schema.string, "roles": Schema.array(Schema.string), "created_at": Schema.integer("Unix seconds.")],
            required: ["user", "roles"]),
        "RoomACL": Schema.object(["room": Schema.string, "private": Schema.boolean, "members": Schema.array(Schema.string)]),
        "BlockEntry": Schema.object(["ip": Schema.string, "reason": Schema.string, "blocked_at": Schema.integer("Unix seconds.")]),
        "MenuInput": Schema.object(
            [
                "name": Schema.string, "icon": Schema.string, "url": Schema.string, "sort_order": Schema.integer, "is_active": Schema.boolean,
                "parent": Schema.string("The parent menu's key."), "required_permission": Schema.string,
                "reason": Schema.string("Why, for the change log."),
            ],
            required: ["name"]),
        "MenuVersion": Schema.object(
            [
                "version": Schema.integer, "timestamp": Schema.integer, "checksum": Schema.string,
                "changes": Schema.array(Schema.ref("MenuChange")), "author": Schema.string, "description": Schema.string,
            ]),
        "MenuChange": Schema.object(
            [
                "type": Schema.string("What happened.", enum: ["created", "updated", "deleted"]), "target": Schema.string,
                "targetId": Schema.string, "targetName": Schema.string, "timestamp": Schema.integer, "author": Schema.string,
                "reason": Schema.string,
            ]),
        "MenuTree": Schema.object(["version": Schema.integer, "checksum": Schema.string, "menus": Schema.array(Schema.anyObject)]),
        "MenuWrite": Schema.object(
            [
                "menu": Schema.anyObject, "version": Schema.integer, "checksum": Schema.string,
                "change": Schema.ref("MenuChange").setting("nullable", true),
            ]),
        "SignRequest": Schema.object(
            ["op": Schema.string("The operation.", enum: ["sign", "cert_no"]), "data": Schema.string, "password": Schema.string],
            required: ["op"]),
        "SignResult": Schema.object(["signature": Schema.string("Base64 SHA1withRSA, no PEM armour."), "cert_no": Schema.string]),
        "ChannelValues": Schema.object(
            [
                "source": Schema.string, "channel_id": Schema.integer, "data_type": Schema.string,
                "values": Schema.map(["oneOf": [Schema.number, Schema.string]]),
            ]),
        "HealthReport": Schema.object(
            [
                "status": Schema.string("`ok` or `degraded`.", enum: ["ok", "degraded"]),
                "edge": Schema.object(["version": Schema.string, "pid": Schema.integer, "uptime_seconds": Schema.number]),
                "services": Schema.map(
                    Schema.object([
                        "status": Schema.string("`up` or `down`."), "latency_ms": Schema.number, "version": Schema.string,
                        "pid": Schema.integer, "uptime_seconds": Schema.number, "redis_reachable": Schema.boolean,
                        "details": Schema.map(Schema.string), "error": Schema.string,
                    ])),
                "redis": Schema.object(["status": Schema.string, "latency_ms": Schema.number, "error": Schema.string]),
                "failing": Schema.array(Schema.string),
            ]),
        "EdgeStatusReport": Schema.object(
            [
                "edge": Schema.string, "total_connections": Schema.integer, "edges": Schema.array(Schema.anyObject),
                "message_types": Schema.array(Schema.string),
            ]),
        "HookList": Schema.object(
            ["hooks": Schema.array(Schema.object(["name": Schema.string, "priority": Schema.integer, "enabled": Schema.boolean]))]),
        "RouteList": Schema.object(
            ["routes": Schema.array(Schema.object(["method": Schema.string, "path": Schema.string], required: ["method", "path"]))]),
    ]
}
