import Foundation
import Testing

/// Runs the built `esuctl` binary as an operator would: a separate process, real argv, real
/// stdin/stdout/stderr and exit status.
struct ESUCtlRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum ESUCtl {
    /// The package root, for example files the README refers to.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `esuctl` sits beside the test bundle in SwiftPM's build directory.
    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("esuctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        fatalError("esuctl binary not found near \(exe.path); build it with `swift build` first")
    }()

    static func run(_ args: [String], stdin: Data? = nil, environment: [String: String] = [:],
                    in directory: URL = root) throws -> ESUCtlRun {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // stdin, stdout and stderr each on their own thread, so a full pipe on one never blocks
        // the child on another.
        nonisolated(unsafe) var errData = Data()
        let errDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }
        let writer = input.fileHandleForWriting
        Thread.detachNewThread {
            if let stdin { writer.write(stdin) }
            try? writer.close()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        return ESUCtlRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    static func json(_ run: ESUCtlRun) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }
}
