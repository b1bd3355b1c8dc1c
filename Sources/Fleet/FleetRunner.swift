import Foundation
import Inventory
import SSHTransport

/// Where and as whom to reach one host; built from an inventory host.
public struct FleetTarget: Sendable, Equatable {
    public var name: String
    public var address: String
    public var port: Int
    public var user: String?
    public var privateKeyFile: String?

    public init(name: String, address: String, port: Int = 22, user: String? = nil, privateKeyFile: String? = nil) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.privateKeyFile = privateKeyFile
    }

    public init(_ host: InventoryHost) {
        self.init(name: host.name, address: host.address, port: host.port ?? 22, user: host.user,
                  privateKeyFile: host.privateKeyFile.map { ($0 as NSString).expandingTildeInPath })
    }
}

/// Settings shared by every host of a run.
public struct FleetOptions: Sendable {
    /// Hosts worked on at once (`--parallel`); each gets its own thread while it is worked on.
    public var parallel: Int
    public var connect: ConnectOptions
    /// Used when the inventory sets no `ansible_user`.
    public var defaultUser: String
    /// Used when the inventory sets no `ansible_ssh_private_key_file`.
    public var defaultKeyFiles: [String]
    public var useAgent: Bool
    public var password: Secret?
    public var passphrase: (@Sendable (String) -> Secret?)?
    public var authTimeout: Double

    public init(
        connect: ConnectOptions, parallel: Int = 32, defaultUser: String? = nil, defaultKeyFiles: [String]? = nil,
        useAgent: Bool? = nil, password: Secret? = nil, passphrase: (@Sendable (String) -> Secret?)? = nil,
        authTimeout: Double = 30
    ) {
        let env = ProcessInfo.processInfo.environment
        self.connect = connect
        self.parallel = max(1, parallel)
        self.defaultUser = defaultUser ?? env["USER"] ?? "root"
        self.defaultKeyFiles = defaultKeyFiles ?? FleetOptions.openSSHDefaultKeys()
        self.useAgent = useAgent ?? (env["SSH_AUTH_SOCK"].map { !$0.isEmpty } ?? false)
        self.password = password
        self.passphrase = passphrase
        self.authTimeout = authTimeout
    }

    /// `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` — those that exist, as ssh tries them.
    public static func openSSHDefaultKeys() -> [String] {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return ["id_ed25519", "id_ecdsa", "id_rsa"].map { "\(home)/.ssh/\($0)" }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    func credentials(for t: FleetTarget) -> Credentials {
        Credentials(
            user: t.user ?? defaultUser, privateKeyFiles: t.privateKeyFile.map { [$0] } ?? defaultKeyFiles,
            useAgent: useAgent, password: password, passphrase: passphrase, timeout: authTimeout)
    }
}

/// Works on many hosts at once with a bound, one SSH connection per host.
///
/// Every host is handled start to finish on one dedicated `Thread` (never Swift's cooperative
/// pool): connect, authenticate, then `body` with the open session, then disconnect. At most
/// `parallel` threads exist at a time; each pulls the next host when it finishes one. All waits in
/// the transport carry deadlines, so one host's hang or failure cannot stall the others.
public final class FleetRunner: Sendable {
    public let options: FleetOptions
    /// Stack per worker: libssh2 and our frames need far less than the 8 MiB default, and 200
    /// workers with 8 MiB each would reserve 1.6 GiB of address space for nothing.
    static let workerStackSize = 1 << 20

    public init(options: FleetOptions) { self.options = options }

    /// Runs `body` on every target and returns the outcomes in target order. Blocks the calling
    /// thread until all hosts are done; from async code use `run(_:_:) async`.
    public func runBlocking<T: Sendable>(
        _ targets: [FleetTarget], _ body: @escaping @Sendable (SSHSession, FleetTarget) throws(SSHError) -> T
    ) -> [Result<T, SSHError>] {
        guard !targets.isEmpty else { return [] }
        let state = RunState<T>(count: targets.count)
        let workers = min(options.parallel, targets.count)
        let done = DispatchSemaphore(value: 0)
        let opts = options
        for _ in 0..<workers {
            let t = Thread {
                while let i = state.next() {
                    state.set(i, FleetRunner.work(targets[i], opts, body))
                }
                done.signal()
            }
            t.stackSize = FleetRunner.workerStackSize
            t.start()
        }
        for _ in 0..<workers { done.wait() }
        return state.results()
    }

    /// The same, without blocking a cooperative-pool thread: the waiting happens on a dedicated thread.
    public func run<T: Sendable>(
        _ targets: [FleetTarget], _ body: @escaping @Sendable (SSHSession, FleetTarget) throws(SSHError) -> T
    ) async -> [Result<T, SSHError>] {
        await withCheckedContinuation { (c: CheckedContinuation<[Result<T, SSHError>], Never>) in
            let t = Thread { c.resume(returning: self.runBlocking(targets, body)) }
            t.stackSize = FleetRunner.workerStackSize
            t.start()
        }
    }

    private static func work<T>(
        _ t: FleetTarget, _ o: FleetOptions, _ body: (SSHSession, FleetTarget) throws(SSHError) -> T
    ) -> Result<T, SSHError> {
        do {
            let s = try SSHSession.open(host: t.address, port: t.port, options: o.connect, credentials: o.credentials(for: t))
            defer { s.close() }
            return .success(try body(s, t))
        } catch {
            return .failure(error)
        }
    }
}

/// Work queue and result slots shared by the workers of one run.
private final class RunState<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var slots: [Result<T, SSHError>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < slots.count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func set(_ i: Int, _ r: Result<T, SSHError>) { lock.withLock { slots[i] = r } }

    func results() -> [Result<T, SSHError>] { lock.withLock { slots.map { $0! } } }
}
