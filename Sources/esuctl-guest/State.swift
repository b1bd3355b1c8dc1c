import Foundation

/// One simulated guest, as stored in `LABDIR/guests/NAME/state.json`. Keys are never stored:
/// only the SHA-256 of the normalized (upper-case, trimmed) key.
struct GuestState: Codable {
    var stateVersion: Int = 1
    var profile: String
    var os: OSInfo
    var hotfixes: [Hotfix]
    /// Pending-reboot markers: `CBS RebootPending`, `WindowsUpdate RebootRequired`, `PendingFileRenameOperations`.
    var pendingReboot: [String]
    /// KBs installed since the last boot; their effects (the ESU products for the prep package) need a restart.
    var awaitingRestart: [String]
    var products: [Product]
    var acceptedKeys: [AcceptedKey]
    var arcEsuEnabled: Bool
    var lastBootUpTime: String
    /// While the guest clock is before this, every session ends with status 255 and no output.
    var downUntil: String?
    var restartSeconds: Int
    var faults: Faults

    struct OSInfo: Codable {
        var caption: String
        var version: String
        var productType: Int
        var uiLanguage: String
        /// Console (OEM) code page: 437 or 932.
        var codePage: Int
        var computerName: String
        /// `SoftwareLicensingService.Version`, e.g. `6.3.9600.17809`.
        var licensingServiceVersion: String
    }

    struct Hotfix: Codable {
        var id: String
        var installedOn: String?
        var description: String?
    }

    struct Product: Codable {
        var activationId: String
        var applicationId: String
        var name: String
        var description: String
        var partialProductKey: String?
        /// WMI LicenseStatus 0–6.
        var licenseStatus: Int
        var extendedPID: String?
        /// SHA-256 of the installed key (to find its remaining activations); never the key.
        var keySha256: String?
        var isAddon: Bool
    }

    struct AcceptedKey: Codable {
        var year: Int
        var sha256: String
        var remainingActivations: Int
        var wrongEdition: Bool
    }

    var isJapanese: Bool { os.uiLanguage.lowercased().hasPrefix("ja") }

    func product(_ id: String) -> Int? {
        products.firstIndex { $0.activationId.lowercased() == id.lowercased() }
    }

    func hasHotfix(_ kb: String) -> Bool { hotfixes.contains { $0.id.uppercased() == kb.uppercased() } }
}

struct Faults: Codable {
    var slowSeconds: Double?
    var hang: Bool?
    var dropMidOutput: Bool?
    var garbage: Bool?
    var hugeOutputBytes: Int?
    var truncateJSON: Bool?
    var wmiBroken: Bool?
    var dismFailure: String?
    var activationError: String?
    var downForever: Bool?
    /// diagnose: wuauserv's state when not `Running`.
    var wuauserv: String?
    /// diagnose: free bytes on C: (default 40 GB).
    var diskFreeBytes: Int?
    /// diagnose: `none` (no SRV record) or `host:port` of the one _vlmcs._tcp record.
    var kmsSRV: String?
    /// diagnose: `unreachable` when TCP 1688 to the KMS host does not answer.
    var kms1688: String?
    /// The guest clock's offset from the real (or ESUCTL_SIM_NOW) time, in seconds.
    var clockSkewSeconds: Int?
}

/// Where one guest lives on disk.
struct GuestPaths {
    let lab: String
    let name: String
    var dir: String { lab + "/guests/" + name }
    var stateFile: String { dir + "/state.json" }
    var lockFile: String { dir + "/state.lock" }
    var fsRoot: String { dir + "/fs" }
    var home: String { fsRoot + "/Users/Administrator" }
}

enum StateError: Error, CustomStringConvertible {
    case io(String)
    var description: String { switch self { case .io(let s): return s } }
}

/// Reads and writes state under an exclusive `flock` so concurrent sessions never lose an update.
enum StateStore {
    static func read(_ paths: GuestPaths) throws -> GuestState {
        guard let data = FileManager.default.contents(atPath: paths.stateFile) else {
            throw StateError.io("no state for guest \(paths.name) at \(paths.stateFile)")
        }
        return try JSONDecoder().decode(GuestState.self, from: data)
    }

    /// Runs `body` on the state while holding the guest's lock; writes the result atomically when `body` returns true.
    @discardableResult
    static func update<T>(_ paths: GuestPaths, _ body: (inout GuestState) throws -> (T, Bool)) throws -> T {
        let fd = open(paths.lockFile, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw StateError.io("cannot open \(paths.lockFile)") }
        defer { close(fd) }
        giveToGuestOwner(paths.lockFile, paths)
        while flock(fd, LOCK_EX) != 0 { if errno != EINTR { throw StateError.io("flock failed") } }
        defer { flock(fd, LOCK_UN) }
        var state = try read(paths)
        let (result, changed) = try body(&state)
        if changed { try write(state, to: paths) }
        return result
    }

    /// `set` by hand as root on a lab whose sessions run as another user (`esuctl lab up` as root):
    /// files root creates here must stay usable by those sessions, or the guest's next state change
    /// fails with "cannot open state.lock".
    static func giveToGuestOwner(_ path: String, _ paths: GuestPaths) {
        guard geteuid() == 0 else { return }
        var dir = stat()
        guard stat(paths.dir, &dir) == 0, dir.st_uid != 0 else { return }
        _ = chown(path, dir.st_uid, dir.st_gid)
    }

    /// Temp file + rename, so a reader never sees half a file.
    static func write(_ state: GuestState, to paths: GuestPaths) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try enc.encode(state)
        let tmp = paths.stateFile + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else { throw StateError.io("cannot write \(tmp)") }
        giveToGuestOwner(tmp, paths)
        guard rename(tmp, paths.stateFile) == 0 else { throw StateError.io("cannot rename \(tmp)") }
    }
}
