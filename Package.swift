// swift-tools-version:6.0
import PackageDescription

// Layers, from the inside out:
//   ESUCore  — pure rules core: domain values, catalog, facts, parsers, decisions. No I/O, no clock.
//   Inventory    — pure parsing of Ansible INI inventories and --limit patterns. Foundation only.
//   CLibSSH2, CCrypto — system libraries (Debian libssh2-1-dev, libssl-dev).
//   Digest   — SHA-256 over libcrypto: host-key fingerprints, the agent's hash, payloads, audit chains.
//   SSHTransport — SSH sessions over libssh2: connect, host keys, auth, exec, SFTP. No C type is public.
//   Fleet        — runs work on many hosts on dedicated threads with bounded concurrency; `exec` command.
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
        .target(name: "Inventory"),
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "Digest", dependencies: ["CCrypto"]),
        .target(
            name: "SSHTransport",
            dependencies: ["CLibSSH2", "CCrypto", "Digest"]
        ),
        .target(
            name: "Fleet",
            dependencies: ["SSHTransport", "Inventory", "ESUCore"]
        ),
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
            dependencies: ["ESUCore", "Agent", "Lab", "Audit", "Orchestration", "SSHTransport", "Inventory", "Fleet"]
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
            name: "TransportTests",
            dependencies: ["SSHTransport", "Inventory", "Fleet"]
        ),
        .testTarget(
            name: "esuctlTests",
            dependencies: ["ESUCore", "esuctl", "Audit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
