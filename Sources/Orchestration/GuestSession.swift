import Foundation

/// What one command on a guest gave back.
public struct RemoteOutput: Sendable {
    /// nil when the channel closed without an exit status (dropped connection, killed by a signal).
    public var exitStatus: Int32?
    public var stdout: Data
    public var stderr: Data
    /// How many bytes the command wrote to stdout, when more than `stdout` keeps (the transport's cap).
    public var stdoutBytes: Int?

    public init(exitStatus: Int32?, stdout: Data, stderr: Data, stdoutBytes: Int? = nil) {
        self.exitStatus = exitStatus; self.stdout = stdout; self.stderr = stderr; self.stdoutBytes = stdoutBytes
    }
}

/// One connection to one guest, reused for everything done on it in a run. Implemented over
/// SSH by the transport; the orchestration never sees libssh2.
public protocol GuestSession: AnyObject {
    func run(_ command: String, stdin: Data?, timeout: Double) throws -> RemoteOutput
    /// Copies a local file to `remotePath` (relative to the login's home) and checks the size.
    func upload(_ file: URL, to remotePath: String) throws
    func close()
}

/// Opens sessions; one per host per run (and again after a restart).
public protocol GuestConnector: Sendable {
    func connect(_ host: String) throws -> GuestSession
}
