// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-smolagents",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .library(name: "SmolModels", targets: ["SmolModels"]),
        .library(name: "SmolCore", targets: ["SmolCore"]),
        .executable(name: "smol", targets: ["smol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Foundation only: every backend and every user stands on this target.
        .target(name: "SmolCore"),
        .target(name: "SmolRemote", dependencies: ["SmolCore"]),
        .target(name: "SmolLocal", dependencies: ["SmolCore"]),
        .target(name: "SmolModels", dependencies: ["SmolCore", "SmolRemote", "SmolLocal"]),
        .executableTarget(
            name: "smol",
            dependencies: [
                "SmolModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SmolCoreTests",
            dependencies: ["SmolCore"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
