// swift-tools-version:6.0
import PackageDescription

// Layers, from the inside out:
//   ESUCore  — pure rules core: domain values, catalog, facts, parsers, decisions. No I/O, no clock.
//   Inventory    — pure parsing of Ansible INI inventories and --limit patterns. Foundation only.
//   CLibSSH2, CCrypto — system libraries (Debian libssh2-1-dev, libssl-dev); visible only to SSHTransport.
//   SSHTransport — SSH sessions over libssh2: connect, host keys, auth, exec, SFTP. No C type is public.
//   Fleet        — runs work on many hosts on dedicated threads with bounded concurrency; `exec` command.
//   esuctl   — the command-line shell: argument parsing, files, terminal, exit codes.
let package = Package(
    name: "esuctl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "esuctl", targets: ["esuctl"]),
        .library(name: "ESUCore", targets: ["ESUCore"]),
        .library(name: "Inventory", targets: ["Inventory"]),
        .library(name: "SSHTransport", targets: ["SSHTransport"]),
        .library(name: "Fleet", targets: ["Fleet"]),
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
        .target(
            name: "SSHTransport",
            dependencies: ["CLibSSH2", "CCrypto"]
        ),
        .target(
            name: "Fleet",
            dependencies: ["SSHTransport", "Inventory"]
        ),
        .executableTarget(
            name: "esuctl",
            dependencies: ["ESUCore", "Fleet"]
        ),
        .testTarget(
            name: "ESUCoreTests",
            dependencies: ["ESUCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TransportTests",
            dependencies: ["SSHTransport", "Inventory", "Fleet"]
        ),
        .testTarget(
            name: "esuctlTests",
            dependencies: ["ESUCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
