// swift-tools-version:6.0
import PackageDescription

// Layers, from the inside out:
//   ESUCore  — pure rules core: domain values, catalog, facts, parsers, decisions. No I/O, no clock.
//   esuctl   — the command-line shell: argument parsing, files, terminal, exit codes.
let package = Package(
    name: "esuctl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "esuctl", targets: ["esuctl"]),
        .executable(name: "esuctl-guest", targets: ["esuctl-guest"]),
        .library(name: "ESUCore", targets: ["ESUCore"]),
    ],
    targets: [
        .target(
            name: "ESUCore",
            resources: [.copy("Resources/esu-catalog.json")]
        ),
        .executableTarget(
            name: "esuctl",
            dependencies: ["ESUCore"]
        ),
        // The guest simulator: Foundation only, never ESUCore, so a protocol bug cannot hide in shared code.
        .executableTarget(
            name: "esuctl-guest"
        ),
        .testTarget(
            name: "GuestSimulatorTests",
            dependencies: ["esuctl-guest"]
        ),
        .testTarget(
            name: "ESUCoreTests",
            dependencies: ["ESUCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "esuctlTests",
            dependencies: ["ESUCore", "esuctl"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
