// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-smolagents",
    platforms: [.macOS(.v15), .iOS(.v18)],
    // One product per layer, so an app takes only what it uses: `SmolCore` (data model, protocol, no
    // dependency beyond Foundation), `SmolRemote` (HTTP backends; no C kernels), `SmolLocal` (the local
    // engine) and the umbrella `SmolModels`.
    products: [
        .library(name: "SmolModels", targets: ["SmolModels"]),
        .library(name: "SmolCore", targets: ["SmolCore"]),
        .library(name: "SmolServe", targets: ["SmolServe"]),
        .library(name: "SmolRemote", targets: ["SmolRemote"]),
        .library(name: "SmolLocal", targets: ["SmolLocal"]),
        .library(name: "SmolAsyncHTTPClient", targets: ["SmolAsyncHTTPClient"]),
        .executable(name: "smol", targets: ["smol"]),
    ],
    traits: [
        .trait(
            name: "LocalEngine",
            description: "Include the local inference engine (SmolLocal: TransformersModel, MLXModel) in the SmolModels umbrella."
        ),
        .default(enabledTraits: ["LocalEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Documentation only (`swift package generate-documentation`, scripts/docs.sh); links nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `smol` only (never a library): exports the libraries' spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
        // is set. The OTLPHTTP trait alone: the default also builds gRPC (grpc-swift-2, nio-http2), which `smol` never uses.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Foundation only: every backend and every user stands on this target.
        .target(name: "SmolCore"),
        // GenAI spans (OpenTelemetry's conventions) over swift-distributed-tracing's API, shared by SmolRemote and
        // SmolLocal (which never import each other; SmolCore depends on nothing). `package` symbols only: not a product.
        .target(
            name: "SmolTracing",
            dependencies: ["SmolCore", .product(name: "Tracing", package: "swift-distributed-tracing")]
        ),
        .target(
            name: "SmolRemote",
            dependencies: [
                "SmolCore",
                "SmolTracing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // AsyncHTTPClient as the remote models' transport (HTTPConfiguration.transport), for apps that run one
        // already; a product of its own so that SmolRemote does not compile AsyncHTTPClient.
        .target(
            name: "SmolAsyncHTTPClient",
            dependencies: [
                "SmolRemote",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Hot numeric kernels in C: per-function target attributes pick AVX2/FMA/F16C/AVX-512 at run
        // time without unsafe flags (see ARCHITECTURE.md, "Local engine").
        .target(name: "CSmolKernels"),
        .target(
            name: "SmolLocal",
            dependencies: [
                "SmolCore", "SmolTracing", "CSmolKernels",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "SmolModels",
            dependencies: [
                "SmolCore", "SmolRemote",
                .target(name: "SmolLocal", condition: .when(traits: ["LocalEngine"])),
            ]
        ),
        // `smol serve`: models behind OpenAI's API, on Hummingbird.
        .target(
            name: "SmolServe",
            dependencies: [
                "SmolCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "smol",
            dependencies: [
                "SmolModels",
                "SmolLocal",
                "SmolServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test helpers shared by the test targets (the seeded mutation fuzzer); not a product.
        .target(name: "SmolTestSupport", path: "Tests/SmolTestSupport"),
        .testTarget(
            name: "SmolCoreTests",
            dependencies: ["SmolCore", "SmolTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SmolRemoteTests",
            dependencies: [
                "SmolRemote",
                "SmolLocal",
                "SmolTracing",
                "SmolTestSupport",
                "SmolAsyncHTTPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SmolServeTests",
            dependencies: ["SmolServe", "SmolRemote", "SmolLocal", "SmolCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "SmolLocalTests",
            dependencies: [
                "SmolLocal", "CSmolKernels", "SmolTestSupport",
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .executableTarget(name: "smol-local-bench", dependencies: ["SmolLocal", "CSmolKernels"]),
        .executableTarget(
            name: "smol-bench",
            dependencies: [
                "SmolModels",
                "SmolAsyncHTTPClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
