import Foundation

/// Every HTTP route the edge answers, its own and the ones it forwards (DESIGN.md §4), in the order of that table.
///
/// This list is the one source of both docs. `DocsTests` holds it to the truth from both sides: each operation here must
/// be answered by the running edge with something other than "no route", and each route the edge's router and the
/// services declare must appear here.
enum APICatalog {
    static let operations: [APIOperation] = edge + auth + menu + signer + scheduler

    // MARK: ws-edge

    static let edge: [APIOperation] = [
        APIOperation(
            method: "GET", path: "/", owner: .edge, summary: "The live console",
            details: "One self-contained page (no CDN, works offline): log in, connect, subscribe and chart values, send control, "
                + "join rooms and chat, ask questions, watch menu versions, and read every frame in and out.",
            access: .open, responses: [APIResponse(status: 200, description: "The console page.", contentType: "text/html", schema: Schema.string)]),
        APIOperation(
            method: "GET", path: "/docs", owner: .edge, summary: "This documentation as a page",
            details: "Rendered from the same catalog as `/docs/openapi.json`, plus the WebSocket protocol, which OpenAPI cannot describe.",
            access: .open, responses: [APIResponse(status: 200, description: "The docs page.", contentType: "text/html", schema: Schema.string)]),
        APIOperation(
            method: "GET", path: "/docs/openapi.json", owner: .edge, summary: "The OpenAPI 3.0 document",
            details: "Every HTTP route of the edge and of the services behind it. The WebSocket protocol is in its `x-websocket` extension.",
            access: .open, responses: [.json(200, "The OpenAPI document.", Schema.anyObject)]),
        APIOperation(
            method: "GET", path: "/docs/routes", owner: .edge, summary: "The routes this edge's router holds",
            details: "As the router itself lists them (forwarded prefixes end in `/**`); the docs test compares it with this document.",
            access: .open, responses: [.json(200, "Method and path of every registered route.", Schema.ref("RouteList"))]),
        APIOperation(
            method: "GET", path: "/docs/websocket.json", owner: .edge, summary: "The WebSocket message types and their fields",
            details: "Per message type: its endpoints, reply types, an example, and every field of `data` with the JSON kinds accepted there, "
                + "recorded from the payload type the handler decodes (so it cannot drift from the code). The bad-input suite is generated from it.",
            access: .open, responses: [.json(200, "The envelope's fields and every message type's.", Schema.anyObject)]),
        APIOperation(
            method: "GET", path: "/health", owner: .edge, summary: "Health of every service and of Redis",
            details: "Each service's `sys.health` with its round-trip latency (bounded by `SWITCHBOARD_HEALTH_TIMEOUT_MS`), the edge itself, "
                + "and Redis as the edge sees it. The details are for an admin token or a loopback caller; anyone else gets "
                + "`{\"status\",\"failing\"}` only.",
            access: .optionalToken,
            responses: [
                .json(200, "Everything answers.", Schema.ref("HealthReport")),
                .json(503, "At least one service or Redis is down; `failing` names them.", Schema.ref("HealthReport")),
            ]),
        APIOperation(
            method: "GET", path: "/websocket/status", owner: .edge, summary: "Connections, subscription groups and topics of every live edge",
            details: "For an admin token or a loopback caller; anyone else gets `{\"status\":\"ok\"}`.",
            access: .optionalToken,
            responses: [.json(200, "This edge measured now, the others as they last reported (≤ 15 s).", Schema.ref("EdgeStatusReport"))]),
        APIOperation(
            method: "GET", path: "/metrics", owner: .edge, summary: "Prometheus metrics of the edge and of every service",
            details: "The edge's own series plus each service's (asked for `sys.metrics` over the bus), every series labelled `service`; "
                + "a service that does not answer shows as `switchboard_service_up{service=…} 0`. "
                + "For an admin token or a loopback caller; anyone else gets 403.",
            access: .optionalToken,
            responses: [
                APIResponse(
                    status: 200, description: "Prometheus text exposition format 0.0.4.", contentType: "text/plain; version=0.0.4",
                    schema: Schema.string)
            ]),
        APIOperation(
            method: "GET", path: "/ws", owner: .edge, summary: "The WebSocket endpoint (everything)",
            details: "Upgrade with `Connection: Upgrade`, `Upgrade: websocket`. Authenticate with `?token=` or `Authorization: Bearer`; "
                + "without either the connection is anonymous (public rooms and menus, no control). The frames are described on `/docs`.",
            access: .optionalToken,
            parameters: [.query("token", "An access JWT, for clients that cannot set headers on a WebSocket.")],
            responses: [
                .empty(101, "Switched to WebSocket; the first frame is `connection_established`."),
                .error(403, "Refused by the connection policy (blocked IP)."),
                .error(426, "A plain GET without an upgrade (`upgrade_required`)."),
                .error(429, "Too many connections from this IP.", headers: ["Retry-After": "Seconds to wait."]),
            ]),
        APIOperation(
            method: "GET", path: "/ws/permissions/{user}", owner: .edge, summary: "The WebSocket for permission and menu notifications",
            details: "`anonymous` is open without a token; any other user needs that user's token or an admin's. "
                + "The first frame is `connection_confirmed`; `heartbeat` and `permission_check` are answered.",
            access: .optionalToken,
            parameters: [
                .path("user", "The user whose notifications to receive, or `anonymous`."),
                .query("token", "An access JWT, for clients that cannot set headers on a WebSocket."),
            ],
            responses: [
                .empty(101, "Switched to WebSocket."),
                .error(400, "The user in the path is not a valid user name."),
                .error(403, "The token belongs to another user and is not an admin's, or the connection policy refuses it."),
                .error(426, "A plain GET without an upgrade (`upgrade_required`)."),
                .error(429, "Too many connections from this IP.", headers: ["Retry-After": "Seconds to wait."]),
            ]),
        APIOperation(
            method: "GET", path: "/admin/hooks", owner: .edge, summary: "The edge's connection hooks with priority and state",
            access: .role(["admin"]), responses: [.json(200, "The hook chain in order.", Schema.ref("HookList"))]),
        APIOperation(
            method: "POST", path: "/admin/hooks", owner: .edge, summary: "Switch one hook on or off",
            access: .role(["admin"]),
            body: APIBody(
                schema: Schema.object(["name": Schema.string, "enabled": Schema.boolean], required: ["name", "enabled"]),
                example: ["name": "connection-log", "enabled": false]),
            responses: [
                .json(200, "The hook chain after the change.", Schema.ref("HookList")),
                .error(400, #"The body is not `{"name": string, "enabled": bool}` (`invalid_body`)."#),
                .error(404, "No hook has that name (`not_found`)."),
            ]),
    ]

    // MARK: auth

    static let credentials = APIBody(schema: Schema.ref("Credentials"), example: ["username": "alice", "password": "correct horse battery"])
    static let refreshBody = APIBody(
        schema: Schema.object(["refresh_token": Schema.string], required: ["refresh_token"]), example: ["refresh_token": "rt_…"])

    static let auth: [APIOperation] = [
        APIOperation(
            method: "POST", path: "/api/auth/register", owner: .auth, summary: "Create an account (role viewer)",
            details: "Only an admin grants more roles, with `PUT /api/auth/users/{name}/roles`.",
            access: .open, body: credentials,
            responses: [
                .json(201, "The new account.", Schema.ref("User")),
                .error(400, "The user name or password breaks a rule (`invalid_input`)."),
                .error(403, "The name is reserved: `anonymous`, `admin`, `system…` (`reserved_name`)."),
                .error(409, "The user exists (`user_exists`)."),
                .error(413, "The body exceeds 8 KiB (`body_too_large`)."),
                .error(429, "Too many registrations from this IP (`rate_limited`).", headers: ["Retry-After": "Seconds to wait."]),
            ]),
        APIOperation(
            method: "POST", path: "/api/auth/login", owner: .auth, summary: "Log in: an access JWT and a refresh token",
            details: "Wrong password and unknown user answer the same 401 after the same work.",
            access: .open, body: credentials,
            responses: [
                .json(200, "The session.", Schema.ref("Session")),
                .error(401, "Wrong user name or password (`invalid_credentials`)."),
                .error(413, "The body exceeds 8 KiB (`body_too_large`)."),
                .error(429, "Too many login attempts from this IP (`rate_limited`).", headers: ["Retry-After": "Seconds to wait."]),
            ]),
        APIOperation(
            method: "POST", path: "/api/auth/refresh", owner: .auth, summary: "Rotate a refresh token",
            details: "Each refresh token works once; presenting a used one again revokes the whole session.",
            access: .open, body: refreshBody,
            responses: [
                .json(200, "A new session (new access and refresh tokens).", Schema.ref("Session")),
                .error(401, "Unknown, expired or revoked token (`invalid_refresh_token`), or a reused one (`refresh_reused`)."),
            ]),
        APIOperation(
            method: "POST", path: "/api/auth/logout", owner: .auth, summary: "Revoke a session by its refresh token", access: .open,
            body: refreshBody,
            responses: [.empty(204, "Revoked (also when it already was).")]),
        APIOperation(
            method: "GET", path: "/api/auth/me", owner: .auth, summary: "The caller's account", access: .token,
            responses: [.json(200, "The account.", Schema.ref("User"))]),
        APIOperation(
            method: "PUT", path: "/api/auth/users/{name}/roles", owner: .auth, summary: "Replace a user's roles",
            details: "They apply from the user's next login or refresh.",
            access: .role(["admin"]), parameters: [.path("name", "The user name.")],
            body: APIBody(schema: Schema.object(["roles": Schema.array(Schema.string)], required: ["roles"]), example: ["roles": ["operator"]]),
            responses: [
                .json(200, "The account with its new roles.", Schema.ref("User")),
                .error(400, "Roles must be a non-empty subset of the known roles (`invalid_input`)."),
                .error(404, "No such user (`user_not_found`)."),
            ]),
        APIOperation(
            method: "GET", path: "/api/auth/rooms/{room}/acl", owner: .auth, summary: "A room's access list", access: .role(["admin"]),
            parameters: [.path("room", "The room id.")],
            responses: [.json(200, "The ACL.", Schema.ref("RoomACL")), .error(400, "Not a valid room id (`invalid_input`).")]),
        APIOperation(
            method: "PUT", path: "/api/auth/rooms/{room}/acl", owner: .auth, summary: "Replace a room's access list",
            details: "A private room admits only its members.",
            access: .role(["admin"]), parameters: [.path("room", "The room id.")],
            body: APIBody(
                schema: Schema.object(["private": Schema.boolean, "members": Schema.array(Schema.string)], required: ["private"]),
                example: ["private": true, "members": ["alice", "bob"]]),
            responses: [.json(200, "The new ACL.", Schema.ref("RoomACL")), .error(400, "Bad room id or member name (`invalid_input`).")]),
        APIOperation(
            method: "GET", path: "/admin/blocked-ips", owner: .auth, summary: "The IP blocklist", access: .role(["admin"]),
            responses: [.json(200, "Every blocked IP.", Schema.object(["blocked": Schema.array(Schema.ref("BlockEntry"))]))]),
        APIOperation(
            method: "POST", path: "/admin/blocked-ips", owner: .auth, summary: "Block an IP (new connections are refused with 403)",
            access: .role(["admin"]),
            body: APIBody(
                schema: Schema.object(["ip": Schema.string, "reason": Schema.string], required: ["ip"]),
                example: ["ip": "203.0.113.7", "reason": "scraping"]),
            responses: [.json(201, "The entry.", Schema.ref("BlockEntry")), .error(400, "Not an IPv4 or IPv6 address, or reason too long.")]),
        APIOperation(
            method: "DELETE", path: "/admin/blocked-ips/{ip}", owner: .auth, summary: "Unblock an IP", access: .role(["admin"]),
            parameters: [.path("ip", "The IPv4 or IPv6 address.")],
            responses: [
                .empty(204, "Unblocked."), .error(400, "Not an IP address (`invalid_input`)."),
                .error(404, "The IP is not blocked (`not_blocked`)."),
            ]),
    ]

    // MARK: menu

    static let menu: [APIOperation] = [
        APIOperation(
            method: "GET", path: "/api/menu/version", owner: .menu, summary: "The menu version, checksum and recent changes",
            details: "Public and cheap: poll it with `If-None-Match` and fetch `/api/menu` only when it changed, "
                + "or watch `menu_update` frames on a WebSocket.",
            access: .open, parameters: [.header("If-None-Match", "The ETag of the version you have.")],
            responses: [
                .json(200, "The current version.", Schema.ref("MenuVersion"), headers: ["ETag": "The quoted checksum."]),
                .empty(304, "Unchanged since the ETag you sent.", headers: ["ETag": "The quoted checksum."]),
            ]),
        APIOperation(
            method: "GET", path: "/api/menu", owner: .menu, summary: "The menus the caller may see, as a tree", access: .optionalToken,
            parameters: [.query("all", "`true` (admins only) includes inactive and restricted menus.", schema: Schema.boolean)],
            responses: [.json(200, "The tree.", Schema.ref("MenuTree")), .error(403, "`all=true` without role admin.")]),
        APIOperation(
            method: "PUT", path: "/api/menu/{key}", owner: .menu, summary: "Create or replace a menu",
            details: "Committed changes are announced to every connection as a `menu_update` frame.",
            access: .role(["admin"]), parameters: [.path("key", "The menu key.")],
            body: APIBody(
                schema: Schema.ref("MenuInput"),
                example: ["name": "Dashboards", "url": "/dash", "sort_order": 10, "is_active": true, "reason": "new section"]),
            responses: [
                .json(200, "Replaced, or unchanged (`change` is null).", Schema.ref("MenuWrite")),
                .json(201, "Created.", Schema.ref("MenuWrite")),
                .error(400, "A field breaks a rule, or the parent is not a menu."),
                .error(409, "The parent would create a cycle (`parent_cycle`)."),
            ]),
        APIOperation(
            method: "DELETE", path: "/api/menu/{key}", owner: .menu, summary: "Delete a menu", access: .role(["admin"]),
            parameters: [.path("key", "The menu key."), .query("reason", "Why, for the change log.")],
            body: APIBody(schema: Schema.object(["reason": Schema.string]), required: false),
            responses: [
                .json(200, "Deleted.", Schema.ref("MenuWrite")), .error(404, "No such menu (`not_found`)."),
                .error(409, "Other menus still have it as parent (`has_children`)."),
            ]),
        APIOperation(
            method: "GET", path: "/api/permissions/me", owner: .menu, summary: "What the caller may do",
            details: "Anonymous callers are answered as user `anonymous` with role `anonymous`.",
            access: .optionalToken,
            responses: [
                .json(
                    200, "Roles and granted permissions.",
                    Schema.object(["user": Schema.string, "roles": Schema.array(Schema.string), "permissions": Schema.array(Schema.string)]))
            ]),
        APIOperation(
            method: "GET", path: "/api/permissions/roles", owner: .menu, summary: "Every role with its permissions", access: .role(["admin"]),
            responses: [.json(200, "Role → permissions.", Schema.object(["roles": Schema.map(Schema.array(Schema.string))]))]),
        APIOperation(
            method: "PUT", path: "/api/permissions/roles/{role}", owner: .menu, summary: "Replace a role's permissions",
            details: "A change is announced to every connection as `permission_update`.",
            access: .role(["admin"]), parameters: [.path("role", "The role: 1–32 lower-case letters, digits, `_` or `-`.")],
            body: APIBody(
                schema: Schema.object(["permissions": Schema.array(Schema.string), "reason": Schema.string], required: ["permissions"]),
                example: ["permissions": ["menu.read", "control.*"], "reason": "operators may control"]),
            responses: [
                .json(
                    200, "The role's grants now.",
                    Schema.object([
                        "role": Schema.string, "permissions": Schema.array(Schema.string), "version": Schema.integer, "changed": Schema.boolean,
                    ])),
                .error(400, "Bad role name or permission (`invalid_role`, `invalid_permissions`)."),
            ]),
    ]

    // MARK: signer

    static let signer: [APIOperation] = [
        APIOperation(
            method: "POST", path: "/getCode", owner: .signer, summary: "Sign through the e-port client (the legacy bridge's contract)",
            details: "The body is the uppercase hex of AES-128/ECB/PKCS7 ciphertext of UTF-8 JSON `{\"str\": …, \"pwdstr\": …}`; "
                + "`data` in the answer is the same cipher of `{\"sign\": …, \"certNo\": …}`. Errors keep the old bridge's shape "
                + "`{\"code\", \"msg\", \"data\": false}` with a matching HTTP status.",
            access: .open,
            body: APIBody(contentType: "text/plain", schema: Schema.string("Uppercase hex of the AES ciphertext."), example: "9F86D081884C7D65…"),
            responses: [
                .json(200, "Signed: `{\"code\":200,\"msg\":\"成功\",\"data\":\"<hex>\"}`.", Schema.ref("GetCodeResult")),
                .error(400, "Bad hex, bad padding or key, or bad JSON inside.", shape: .getCode),
                .error(429, "Too many requests from this client IP (`SWITCHBOARD_GETCODE_RATE_PER_SECOND`); see `Retry-After`.", shape: .getCode),
                .error(500, "The signing client refused (e.g. `Err:Custom50070`).", shape: .getCode),
                .error(502, "The signing client is unreachable or answered garbage.", shape: .getCode),
            ],
            errorShape: .getCode),
        APIOperation(
            method: "POST", path: "/api/sign", owner: .signer, summary: "Sign or read the certificate number, as plain JSON",
            access: .role(["operator"]),
            body: APIBody(schema: Schema.ref("SignRequest"), example: ["op": "sign", "data": "text to sign", "password": "88888888"]),
            responses: [
                .json(200, "The signature and certificate number (`cert_no` only for `op` = `cert_no`).", Schema.ref("SignResult")),
                .error(400, "`op` is not `sign` or `cert_no`, or a field is missing or too long (`invalid_body`)."),
                .error(502, "The signing client is unreachable, refused, or answered garbage."),
            ]),
    ]

    // MARK: scheduler

    static let scheduler: [APIOperation] = [
        APIOperation(
            method: "GET", path: "/api/data/{channel}/{type}", owner: .scheduler, summary: "Current values of one channel and data type",
            details: "Reads `{source}:{channel}:{type}`; numbers where the stored text is numeric, strings otherwise.",
            access: .open,
            parameters: [
                .path("channel", "The channel id (a positive integer).", schema: Schema.integer),
                .path(
                    "type", "`T` telemetry, `S` signal, `C` control or `A` adjustment.",
                    schema: Schema.string("Data type.", enum: ["T", "S", "C", "A"])),
                .query("source", "The key prefix (default `comsrv`)."),
            ],
            responses: [
                .json(200, "The values.", Schema.ref("ChannelValues")),
                .error(400, "Bad channel, type or source (`invalid_channel`, `invalid_type`, `invalid_source`)."),
                .error(404, "Nothing stored for that key (`not_found`)."),
            ]),
        APIOperation(
            method: "GET", path: "/api/alarms", owner: .scheduler, summary: "Recent alarms, newest first", access: .open,
            parameters: [.query("limit", "How many (default 50).", schema: Schema.integer)],
            responses: [.json(200, "The alarms.", Schema.object(["alarms": Schema.array(Schema.anyObject), "count": Schema.integer]))]),
        APIOperation(
            method: "GET", path: "/api/questions/suggestions", owner: .scheduler, summary: "The operator-curated public suggestions",
            access: .token,
            responses: [.json(200, "The list, in order.", Schema.object(["suggestions": Schema.array(Schema.string)]))]),
        APIOperation(
            method: "PUT", path: "/api/questions/suggestions", owner: .scheduler, summary: "Replace the public suggestions",
            details: "What `get_suggestions` offers every signed-in user after their own earlier questions (at most 500 texts).",
            access: .role(["operator"]),
            body: APIBody(
                schema: Schema.object(["suggestions": Schema.array(Schema.string)]),
                example: ["suggestions": ["How do I read the alarms?"]]),
            responses: [
                .json(200, "Stored.", Schema.object(["suggestions": Schema.array(Schema.string)])),
                .error(400, "Not a list of 1–1000 character texts (`invalid_input`)."),
            ]),
        APIOperation(
            method: "POST", path: "/api/v1/broadcast", owner: .scheduler, summary: "Push a frame to every connection or to one topic",
            details: "`type` `alarm` records an alarm and sends it to alarm subscribers (how VoltageEMS's alarmsrv publishes); "
                + "any other type is sent as a frame `{type, id, timestamp, data}` to `topic` "
                + "(`all`, `user/<name>`, `room/<id>`, `alarm/<channel>`).",
            access: .role(["admin", "service"]),
            body: APIBody(
                schema: Schema.object(["type": Schema.string, "topic": Schema.string, "data": Schema.anyObject]),
                example: ["type": "notice", "topic": "all", "data": ["text": "maintenance at 22:00"]]),
            responses: [
                .json(202, "Published.", Schema.anyObject),
                .error(400, "Not a JSON object, or a bad topic or type (`invalid_json`, `invalid_topic`, `invalid_type`)."),
            ]),
    ]
}
