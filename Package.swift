// swift-tools-version:6.0
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
    ],
    targets: [
        // System-library shims. libpq has no variadic API, so a module map suffices.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libcurl's curl_easy_setopt is variadic: tiny C helpers make it callable from Swift.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("crypto")]),

        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "AWS", dependencies: [
            "CCurl", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Queue", dependencies: [
            "Postgres",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Provisioning", dependencies: [
            "Postgres", "Queue", "AWS", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "berth", dependencies: [
            "Postgres", "Queue", "AWS", "Provisioning",
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
        .testTarget(name: "ProvisioningTests", dependencies: ["Provisioning", "Queue", "Postgres", "AWS", "TestSupport"]),
        // The `berth` command line, run as a child process: exit codes, output, the config file.
        .testTarget(name: "CLITests", dependencies: ["Provisioning", "Queue", "Postgres", "TestSupport"]),
    ]
)
