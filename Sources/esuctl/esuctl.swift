import ESUCore
import Foundation

/// One `esuctl` subcommand: its help text and what it does. `run` returns the exit status.
protocol Command: Sendable {
    static var name: String { get }
    static var summary: String { get }
    static var help: String { get }
    static func run(_ args: inout Arguments) throws -> ExitStatus
}

@main
enum ESUCtl {
    static let commands: [any Command.Type] = [
        ParseCommand.self, DecideCommand.self, ExplainCommand.self, CatalogCommand.self, LabCommand.self, AuditCommand.self, CollectCommand.self, StatusCommand.self, SyncCommand.self, PlanCommand.self, ApplyCommand.self, ExecShellCommand.self, ActivateOfflineCommand.self, ReportCommand.self, DiscoverCommand.self, CompletionCommand.self,
    ]

    static var usage: String {
        let width = commands.map { $0.name.count }.max() ?? 0
        let list = commands.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)" }
        return """
        esuctl — bring Windows Server 2012 / 2012 R2 guests to an active Extended Security Updates license.

        Usage: esuctl <command> [options]

        Commands:
        \(list.joined(separator: "\n"))

        Run 'esuctl <command> --help' for a command's options.
        Exit status: 0 compliant or not applicable, 1 esuctl failed, 2 usage error,
                     3 some hosts need action, 4 some hosts blocked, failed or unreachable.
        """
    }

    static func main() {
        var args = Arguments(Array(CommandLine.arguments.dropFirst()))
        exit(run(&args).rawValue)
    }

    static func run(_ args: inout Arguments) -> ExitStatus {
        guard let name = args.popWord() else {
            if args.wantsHelp || args.isEmpty { Terminal.out(usage); return args.isEmpty ? .usage : .ok }
            Terminal.err("esuctl: \(UsageError.missing("command"))\n\n\(usage)")
            return .usage
        }
        if name == "help" {
            if let topic = args.popWord(), let command = commands.first(where: { $0.name == topic }) {
                Terminal.out(command.help)
            } else {
                Terminal.out(usage)
            }
            return .ok
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            Terminal.err("esuctl: \(UsageError.unknownCommand(name))\n\n\(usage)")
            return .usage
        }
        do {
            return try command.run(&args)
        } catch let error as UsageError {
            Terminal.err("esuctl \(command.name): \(error)\nRun 'esuctl \(command.name) --help' for usage.")
            return .usage
        } catch {
            Terminal.err("esuctl \(command.name): \(error)")
            return .failure
        }
    }
}
