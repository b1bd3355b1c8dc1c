/// Why a lab could not be brought up or down.
public enum LabError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The directory already holds a running lab.
    case alreadyRunning(dir: String)
    /// The directory holds no lab (no lab.json).
    case notALab(dir: String)
    /// A program the lab needs is missing.
    case missingProgram(String, hint: String)
    /// A helper program failed.
    case commandFailed(command: String, status: Int32, output: String)
    /// sshd did not start listening.
    case sshdDidNotStart(log: String)
    /// The lab directory cannot be used.
    case unusableDirectory(String, reason: String)

    public var description: String {
        switch self {
        case .alreadyRunning(let dir):
            return "a lab is already running in \(dir); run `esuctl lab down --dir \(dir)` first"
        case .notALab(let dir):
            return "\(dir) holds no esuctl lab (no lab.json); nothing to stop"
        case .missingProgram(let program, let hint):
            return "\(program) is needed for the lab but was not found; \(hint)"
        case .commandFailed(let command, let status, let output):
            return "`\(command)` failed with status \(status): \(output.prefix(400))"
        case .sshdDidNotStart(let log):
            return "the lab's sshd did not start listening; its log says: \(log.prefix(600))"
        case .unusableDirectory(let dir, let reason):
            return "cannot use \(dir) for the lab: \(reason)"
        }
    }
}
