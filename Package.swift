// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The CLI's config file (YAML, past a flat map).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Operators (issue 17): metrics through swift-metrics, exported by swift-prometheus;
        // the HTTP endpoints and the console on Hummingbird (without its swift-configuration
        // trait, which Berth does not use); the console's HTML through swift-mustache.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // System-library shims. libpq has no variadic API, so a module map suffices.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libcurl's curl_easy_setopt is variadic: tiny C helpers make it callable from Swift.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("crypto")]),
        // X.509 and PEM for the clusters' certificate authorities (Provisioning/TLS).
        .target(name: "CX509", linkerSettings: [.linkedLibrary("crypto")]),

        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "AWS", dependencies: [
            "CCurl", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .target(name: "Queue", dependencies: [
            "Postgres",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Provisioning", dependencies: [
            "Postgres", "Queue", "AWS", "COpenSSL", "CX509",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // Hummingbird run beside a process's own threads, and listen addresses.
        .target(name: "HTTPServer", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Metrics (the Prometheus registry, the queue observer, gauges read at scrape time) and
        // the worker's HTTP endpoints (/metrics, /healthz, /readyz).
        .target(name: "Monitoring", dependencies: [
            "Postgres", "Queue", "HTTPServer",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // The web console: pages, server-sent events, users and sessions.
        .target(name: "Console", dependencies: [
            "Postgres", "Queue", "Provisioning", "COpenSSL", "HTTPServer",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "berth", dependencies: [
            "Postgres", "Queue", "AWS", "Provisioning", "HTTPServer", "Monitoring", "Console",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),

        // Benchmarks (not tests): scripts/bench-xml builds and runs this one.
        .executableTarget(name: "BenchXML", dependencies: ["AWS"], path: "Benchmarks/BenchXML"),

        // Shared by the test targets: per-test databases, the queue's harness, the built binary,
        // the polling helpers.
        .target(name: "TestSupport", dependencies: [
            "Postgres", "Queue",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "QueueTests", dependencies: ["Queue", "Postgres", "TestSupport"]),
        .testTarget(name: "AWSTests", dependencies: ["AWS", "TestSupport"]),
        .testTarget(name: "ProvisioningTests", dependencies: ["Provisioning", "Queue", "Postgres", "AWS", "TestSupport", "CX509"]),
        .testTarget(name: "OpsTests", dependencies: ["Console", "HTTPServer", "Provisioning", "Queue", "Postgres", "TestSupport"]),
        // The `berth` command line, run as a child process: exit codes, output, the config file.
        .testTarget(name: "CLITests", dependencies: ["Provisioning", "Queue", "Postgres", "TestSupport"]),
    ]
)
