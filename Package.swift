// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "CampaignConnector",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CurlTransport", targets: ["CurlTransport"]),
        .library(name: "Liquid", targets: ["Liquid"]),
        .library(name: "ConnectorCore", targets: ["ConnectorCore"]),
        .library(name: "ConnectorStore", targets: ["ConnectorStore"]),
        .library(name: "ConnectorPostgres", targets: ["ConnectorPostgres"]),
        .library(name: "Delivery", targets: ["Delivery"]),
        .library(name: "ConnectorService", targets: ["ConnectorService"]),
        .library(name: "ConnectorCommandLine", targets: ["ConnectorCommandLine"]),
        .library(name: "ConnectorTesting", targets: ["ConnectorTesting"]),
        .executable(name: "connector", targets: ["connector"]),
        .executable(name: "liquid", targets: ["LiquidCLI"]),
        .plugin(name: "CheckTemplates", targets: ["CheckTemplates"]),
        .plugin(name: "NewAdapter", targets: ["NewAdapter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Ruby's Bignum in Liquid: integers past 64 bits, made only on overflow.
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.1"),
        // Braze's hash and HMAC filters (md5, sha1, sha2, hmac_sha256, ...); no hand-written crypto.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // The PostgreSQL store, for several instances on one database.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // X.509: the signing certificates of Amazon SNS messages (SES events).
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        // The service: HTTP server, lifecycle (graceful shutdown), metrics in Prometheus' format.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `swift package generate-documentation --target Delivery`: the adapter authors' API as DocC.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // libcurl, through a header-only shim for its variadic C functions.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Async HTTP(S) and SMTP client on libcurl's multi interface.
        .target(
            name: "CurlTransport",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Child processes with a clean signal state that end with their parent (the demo's
        // and the tests' loopback peers, the tests' runs of `connector`).
        .target(name: "CChildProcess"),
        .target(name: "ChildProcess", dependencies: ["CChildProcess"]),
        // Liquid templates with Braze's extensions.
        // One JSON reader (and string quoting) shared by the template data and the engine's values.
        .target(name: "JSONCore"),
        .target(name: "Liquid", dependencies: [
            "JSONCore", .product(name: "BigInt", package: "BigInt"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The model and the pure decision engine (spec rules R1-R21).
        .target(name: "ConnectorCore", dependencies: ["JSONCore", "Liquid", .product(name: "Yams", package: "Yams")]),
        // The Store protocol and its SQLite implementation (GRDB), and the scheduler.
        .target(
            name: "ConnectorStore",
            dependencies: [
                "ConnectorCore",
                "JSONCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the statements of the ingestion hot path (BoundStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Store protocol on PostgreSQL (postgres-nio): claims with SKIP LOCKED, per-user
        // advisory locks, uniqueness by constraints.
        .target(
            name: "ConnectorPostgres",
            dependencies: [
                "ConnectorCore", "ConnectorStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Delivery: channel adapters render content, providers send it, the dispatcher
        // drives the outbox (retries, failover, breakers, rate limits, suppressions).
        .target(
            name: "Delivery",
            dependencies: [
                "ConnectorCore", "ConnectorStore", "CurlTransport", "Liquid",
                .product(name: "Crypto", package: "swift-crypto"),
                // RS256 for FCM's service-account assertion.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The service: the HTTP API, tracking, SDK feeds and provider webhooks on Hummingbird,
        // with the scheduler and the dispatcher running beside the server.
        .target(
            name: "ConnectorService",
            dependencies: [
                "ConnectorCore", "ConnectorStore", "ConnectorPostgres", "CurlTransport", "Delivery", "JSONCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `liquid`: render templates from the command line or over JSON Lines.
        .executableTarget(
            name: "LiquidCLI",
            dependencies: [
                "Liquid",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The command-line tool as a library: every command, with the extensions (adapters,
        // provider kinds) a package's own `connector` executable passes in.
        .target(
            name: "ConnectorCommandLine",
            dependencies: [
                "ChildProcess",
                "CurlTransport",
                "ConnectorCore",
                "JSONCore",
                "ConnectorStore",
                "ConnectorPostgres",
                "Delivery",
                "ConnectorService",
                "Liquid",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // For the tests of adapter packages: a loopback HTTP server that records requests
        // and answers as scripted.
        .target(
            name: "ConnectorTesting",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command-line tool with the built-in channels and provider kinds.
        .executableTarget(name: "connector", dependencies: ["ConnectorCommandLine"]),
        // `swift package check-templates [CAMPAIGN FILES...]`: provider files, Liquid
        // templates and campaign files checked as the service loads them.
        .plugin(
            name: "CheckTemplates",
            capability: .command(intent: .custom(verb: "check-templates",
                                                 description: "Check Templates/ (provider files, Liquid templates) and the campaign files given")),
            dependencies: ["connector"],
            path: "Plugins/CheckTemplates"
        ),
        // `swift package --allow-writing-to-package-directory new-adapter NAME --channel CHANNEL
        // [--declarative]`: a provider (and, for a channel of one's own, an adapter) with a
        // loopback test, or a declarative provider file with its test.
        .plugin(
            name: "NewAdapter",
            capability: .command(intent: .custom(verb: "new-adapter",
                                                 description: "Scaffold a provider (Swift or a declarative file) with a loopback test"),
                                 permissions: [.writeToPackageDirectory(reason: "writes the provider's source or provider file and its test")]),
            path: "Plugins/NewAdapter"
        ),
        // Benchmarks: run with `swift run -c release transport-bench`.
        .executableTarget(
            name: "transport-bench",
            dependencies: ["CurlTransport"],
            path: "Benchmarks/TransportBenchmark"
        ),
        // Liquid benchmark: `swift build -c release && .build/release/liquid-bench`.
        .executableTarget(
            name: "liquid-bench",
            dependencies: ["Liquid"],
            path: "Benchmarks/LiquidBenchmark",
            exclude: ["python_liquid_bench.py"]  // the anchor it runs, not a source of its own
        ),
        // Engine + store benchmark: `swift build -c release && .build/release/engine-bench`.
        .executableTarget(
            name: "engine-bench",
            dependencies: ["ConnectorCore", "ConnectorStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/EngineBenchmark"
        ),
        // Delivery benchmark: `bash scripts/bench-delivery.sh`.
        .executableTarget(
            name: "delivery-bench",
            dependencies: ["ConnectorCore", "ConnectorStore", "CurlTransport", "Delivery"],
            path: "Benchmarks/DeliveryBenchmark",
            exclude: ["apprise_bench.py"]  // the anchor it runs
        ),
        // PostgreSQL store benchmark: `bash scripts/bench-postgres.sh`.
        .executableTarget(
            name: "postgres-bench",
            dependencies: ["ConnectorCore", "ConnectorStore", "ConnectorPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/PostgresBenchmark"
        ),
        // libcurl's own ceiling in plain C, which transport-bench runs for comparison.
        .executableTarget(
            name: "curl-multi-reference",
            path: "Benchmarks/CurlMultiReference",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // The tests' loopback peers (Tests/Peers/*.py) as child processes.
        .target(name: "PeerSupport", dependencies: ["ChildProcess", "CurlTransport"], path: "Tests/PeerSupport"),
        .testTarget(
            name: "CurlTransportTests",
            dependencies: ["ChildProcess", "CurlTransport", "PeerSupport"]
        ),
        .testTarget(
            name: "ConnectorCoreTests",
            dependencies: ["ConnectorCore"]
        ),
        .testTarget(
            name: "ConnectorStoreTests",
            dependencies: ["ChildProcess", "ConnectorStore", "ConnectorCore", "ConnectorPostgres", "PeerSupport",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "DeliveryTests",
            dependencies: [
                "Delivery", "ChildProcess", "ConnectorStore", "ConnectorCore", "CurlTransport", "PeerSupport", "ConnectorTesting",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "ConnectorServiceTests",
            dependencies: [
                "ConnectorService", "ConnectorCore", "ConnectorStore", "ConnectorPostgres", "CurlTransport", "Delivery", "PeerSupport", "ChildProcess",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "LiquidTests",
            dependencies: ["Liquid"],
            // The golden-liquid conformance suite (MIT, with its licence and source note).
            resources: [.copy("Resources/golden-liquid")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/), only when scripts/fuzz.sh builds them with
// `-sanitize=fuzzer`: libFuzzer provides their `main`, so a plain build leaves them out.
if Context.environment["CONNECTOR_FUZZ"] != nil {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzLiquid", ["Liquid"]), ("FuzzJSON", ["JSONCore", "Liquid", "ConnectorCore"]),
        ("FuzzEvent", ["ConnectorCore"]), ("FuzzCampaign", ["ConnectorCore"]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Targets/FuzzSupport"))
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(
            name: name, dependencies: dependencies + ["FuzzSupport"], path: "Fuzz/Targets/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
    }
}
