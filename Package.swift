// swift-tools-version:6.0
import PackageDescription

// Layers, from the inside out:
//   ESUCore  — pure rules core: domain values, catalog, facts, parsers, decisions. No I/O, no clock.
//   Digest   — SHA-256 over Debian's libcrypto (system library CCrypto).
//   Agent    — the controller's half of the agent protocol: bootstrap, stdin framing, replies;
//              the PowerShell in agent-scripts/ is embedded at build time by EmbedAgentScripts.
//   Audit    — the append-only, hash-chained audit log and its verification.
//   Orchestration — per host: collect, decide, act, verify; with the audit log and host locks.
//   Lab      — `esuctl lab`: a simulated fleet behind real sshd processes on loopback.
//   esuctl   — the command-line shell: argument parsing, files, terminal, exit codes.
//   esuctl-guest — the simulated Windows guest that the tests' sshd runs (shares no code with Agent).
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
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "Digest", dependencies: ["CCrypto"]),
        .executableTarget(name: "embed-agent-scripts"),
        .plugin(
            name: "EmbedAgentScripts",
            capability: .buildTool(),
            dependencies: ["embed-agent-scripts"]
        ),
        .target(
            name: "Agent",
            dependencies: ["ESUCore", "Digest"],
            plugins: ["EmbedAgentScripts"]
        ),
        .target(name: "Lab", dependencies: ["ESUCore", "Digest"]),
        .target(name: "Audit", dependencies: ["Digest"]),
        .target(name: "Orchestration", dependencies: ["ESUCore", "Agent", "Audit", "Digest"]),
        .executableTarget(
            name: "esuctl",
            dependencies: ["ESUCore", "Agent", "Lab", "Audit", "Orchestration"]
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
            name: "AuditTests",
            dependencies: ["Audit", "Digest"]
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: ["Agent", "ESUCore", "Digest"]
        ),
        .testTarget(
            name: "esuctlTests",
            dependencies: ["ESUCore", "esuctl", "Audit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
