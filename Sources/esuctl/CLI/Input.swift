import ESUCore
import Foundation

/// A file esuctl was asked to read (or write) and could not.
enum InputError: Error, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// The file cannot be written (missing directory, permissions, full disk).
    case unwritable(path: String, reason: String)

    var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read '\(path)': \(reason)"
        case .unwritable(let path, let reason): "cannot write '\(path)': \(reason)"
        }
    }
}

enum Input {
    /// Reads a file, or stdin for `-` (or when no path is given).
    static func read(_ path: String?) throws(InputError) -> Data {
        guard let path, path != "-" else { return FileHandle.standardInput.readDataToEndOfFile() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "it is a directory") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: "permission denied or I/O error")
        }
    }

    /// The catalog in force: `--catalog FILE` when given, else the built-in one.
    static func catalog(_ path: String?) throws -> Catalog {
        guard let path else { return try Catalog.builtIn() }
        return try Catalog.load(json: try read(path))
    }
}
