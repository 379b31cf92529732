// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ws-edge", targets: ["WSEdge"]),
        .executable(name: "auth", targets: ["Auth"]),
        .executable(name: "scheduler", targets: ["Scheduler"]),
        .executable(name: "signer", targets: ["Signer"]),
        .executable(name: "menu", targets: ["Menu"]),
        .executable(name: "switchboard", targets: ["SwitchboardCLI"]),
        .executable(name: "switchboard-bench", targets: ["SwitchboardBench"]),
        .executable(name: "signer-sim", targets: ["SignerSim"]),
        .executable(name: "answer-worker", targets: ["AnswerWorker"]),
        .executable(name: "switchboard-chaos", targets: ["SwitchboardChaos"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
    ],
    targets: [
        // C libraries from Debian packages, each wrapped by one Swift module below.
        .systemLibrary(name: "CZMQ", path: "Shared/CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CHiredis", path: "Shared/CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Shared/COpenSSL", providers: [.apt(["libssl-dev"])]),
        // permessage-deflate over the system zlib (zlib1g-dev): a few C functions that keep the z_stream on the C side.
        .target(name: "CZlib", path: "Shared/CZlib", linkerSettings: [.linkedLibrary("z")]),

        .target(name: "SwitchboardProtocol", path: "Shared/Protocol", swiftSettings: strict),
        // The frames WebSocket clients send, as the edge parses and decodes them: shared by the edge and `make fuzz`.
        .target(name: "ClientFrames", dependencies: ["SwitchboardProtocol"], path: "Shared/ClientFrames", swiftSettings: strict),
        .target(
            name: "Bus",
            dependencies: [
                "CZMQ", "SwitchboardProtocol", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Shared/Bus",
            swiftSettings: strict
        ),
        .target(
            name: "Redis",
            dependencies: ["CHiredis", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            path: "Shared/Redis",
            swiftSettings: strict
        ),
        .target(name: "OpenSSLCrypto", dependencies: ["COpenSSL"], path: "Shared/Crypto", swiftSettings: strict),
        .target(
            name: "AuthTokens",
            dependencies: ["SwitchboardProtocol", "ServiceKit", .product(name: "JWTKit", package: "jwt-kit")],
            path: "Shared/AuthTokens",
            swiftSettings: strict
        ),
        .target(name: "CEarlySignals", path: "Shared/CEarlySignals"),
        .target(
            name: "CommandKit",
            dependencies: ["ServiceKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Shared/CommandKit",
            swiftSettings: strict
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "CEarlySignals", "Bus", "SwitchboardProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Shared/ServiceKit",
            swiftSettings: strict
        ),
        // The backing services' runtime (run-dir lock, Redis client, RPC server with `sys.health`); the edge does not link it.
        .target(
            name: "ServiceHost",
            dependencies: [
                "ServiceKit", "Bus", "Redis", "SwitchboardProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/ServiceHost",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "WSEdge",
            dependencies: [
                "ServiceKit", "Bus", "SwitchboardProtocol", "AuthTokens", "ClientFrames", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Services/ws-edge",
            // Installed as Switchboard_WSEdge.resources next to ws-edge; read at startup by `EdgeAssets`.
            resources: [.process("Console/Assets"), .process("Docs/Assets")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Auth",
            dependencies: [
                "ServiceHost", "ServiceKit", "OpenSSLCrypto", "AuthTokens", "Bus", "Redis", "SwitchboardProtocol",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/auth",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Scheduler", dependencies: ["ServiceHost", "ServiceKit", "ClientFrames"], path: "Services/scheduler", swiftSettings: strict),
        .executableTarget(
            name: "Signer",
            dependencies: [
                "ServiceHost", "ServiceKit", "OpenSSLCrypto", "SwitchboardProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/signer",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "SignerSim",
            dependencies: [
                "CommandKit",
                "OpenSSLCrypto", "COpenSSL", "ServiceKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tools/signer-sim",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "AnswerWorker",
            dependencies: [
                "CommandKit",
                "ServiceKit", "ServiceHost", "Redis", "Bus", "SwitchboardProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tools/answer-worker",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "Menu", dependencies: ["ServiceHost", "ServiceKit", "OpenSSLCrypto", "ClientFrames"], path: "Services/menu", swiftSettings: strict),
        .executableTarget(
            name: "SwitchboardCLI",
            dependencies: [
                "CommandKit",
                "ServiceHost", "ServiceKit", "Redis", "Bus", "SwitchboardProtocol", "OpenSSLCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/switchboard",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "SwitchboardBench",
            dependencies: [
                "Bus", "SwitchboardProtocol", "OpenSSLCrypto", "ServiceKit", "Redis", "AuthTokens", "ClientKit", "CZlib",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks",
            exclude: ["README.md", "getcode"],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "SwitchboardChaos",
            dependencies: [
                "ServiceKit", "Redis", "OpenSSLCrypto", "AuthTokens", "ClientKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/chaos",
            swiftSettings: strict
        ),

        // Raw sockets, hand-made WebSocket frames, free ports: the one client kit of the tests, benchmarks and chaos run.
        .target(name: "ClientKit", dependencies: ["ServiceKit"], path: "Shared/ClientKit", swiftSettings: strict),
        .target(
            name: "TestSupport",
            dependencies: [
                "ClientKit", "Redis", "ServiceKit", "Bus", "SwitchboardProtocol",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "BusTests", dependencies: ["Bus", "SwitchboardProtocol"], swiftSettings: strict),
        .testTarget(name: "RedisTests", dependencies: ["Redis", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "CryptoTests", dependencies: ["OpenSSLCrypto"], swiftSettings: strict),
        // The scheduler's client-frame handlers as plain values: their decisions, without Redis or sockets.
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "ClientFrames", "ServiceKit"], swiftSettings: strict),
        .testTarget(name: "ClientKitTests", dependencies: ["ClientKit"], swiftSettings: strict),
        .testTarget(
            name: "SignerUnitTests",
            dependencies: ["Signer", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The edge's WebSocket handler on an EmbeddedChannel: RFC 6455 framing, close handshake, bounds.
        .testTarget(
            name: "EdgeTests",
            dependencies: [
                "WSEdge", "CZlib", .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "Bus", "Redis", "SwitchboardProtocol", "ServiceKit", "ServiceHost", "OpenSSLCrypto", "COpenSSL", "AuthTokens",
                "ClientFrames",
            ],
            swiftSettings: strict
        ),
    ]
)
