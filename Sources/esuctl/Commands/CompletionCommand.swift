import Foundation

/// `esuctl completion bash|zsh`: shell completion, generated from the commands and their help,
/// so it never lists an option a command does not have.
enum CompletionCommand: Command {
    static let name = "completion"
    static let summary = "Print a bash or zsh completion script"
    static let help = """
    Usage: esuctl completion bash|zsh

    Prints a completion script for commands, subcommands and options.

      bash   source <(esuctl completion bash)          (or save it in /etc/bash_completion.d/esuctl)
      zsh    esuctl completion zsh > "${fpath[1]}/_esuctl"  (then restart zsh)

    Options:
      -h, --help  Show this help.

    Example: esuctl completion bash > /etc/bash_completion.d/esuctl
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let shell = args.popWord() else { throw UsageError.missing("shell: bash or zsh") }
        try args.finish()
        switch shell {
        case "bash": Terminal.out(bash())
        case "zsh": Terminal.out(zsh())
        default: throw UsageError.invalidValue(option: "completion", problem: "'\(shell)' is not bash or zsh")
        }
        return .ok
    }

    /// Each command's options, read off its own help text: the option lines and the usage lines,
    /// not options prose happens to mention.
    static func options(_ command: any Command.Type) -> [String] {
        var out: [String] = []
        for line in command.help.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            guard trimmed.hasPrefix("-") || trimmed.hasPrefix("Usage:") || trimmed.hasPrefix("esuctl ") else { continue }
            let words = trimmed.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") })
            // On an option line only the leading names count (`-i, --inventory FILE  ...`).
            let names = trimmed.hasPrefix("-") ? Array(words.prefix(while: { $0.hasPrefix("-") })) : words
            for word in names where word.hasPrefix("--") && word.count > 2 && !word.hasSuffix("-") && !out.contains(String(word)) {
                out.append(String(word))
            }
        }
        if !out.contains("--help") { out.append("--help") }
        return out
    }

    /// Subcommand words: the first word after `esuctl NAME` on each Usage line.
    static func subcommands(_ command: any Command.Type) -> [String] {
        var out: [String] = []
        for line in command.help.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(of: Substring(command.name)), i > 0, words[i - 1] == "esuctl", i + 1 < words.count else { continue }
            let next = words[i + 1]
            for w in next.split(separator: "|") where w.allSatisfy({ $0.isLowercase || $0 == "-" }) && !w.hasPrefix("-") && !w.isEmpty {
                if !out.contains(String(w)) { out.append(String(w)) }
            }
        }
        return out
    }

    static func bash() -> String {
        let names = ESUCtl.commands.map { $0.name }.joined(separator: " ")
        let cases = ESUCtl.commands.map { c in
            "        \(c.name)) subs=\"\(subcommands(c).joined(separator: " "))\"; opts=\"\(options(c).joined(separator: " "))\" ;;"
        }.joined(separator: "\n")
        return """
        # esuctl bash completion (esuctl completion bash)
        _esuctl() {
            local cur="${COMP_WORDS[COMP_CWORD]}" subs="" opts=""
            if [ "$COMP_CWORD" -eq 1 ]; then
                COMPREPLY=( $(compgen -W "\(names) help" -- "$cur") )
                return
            fi
            case "${COMP_WORDS[1]}" in
        \(cases)
            esac
            if [[ "$cur" == -* ]]; then
                COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
            elif [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ]; then
                COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
            else
                COMPREPLY=( $(compgen -f -- "$cur") )
            fi
        }
        complete -o filenames -F _esuctl esuctl
        """
    }

    static func zsh() -> String {
        func quote(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "'\\''").replacingOccurrences(of: ":", with: "\\:") }
        let described = ESUCtl.commands.map { "'\($0.name):\(quote($0.summary))'" }.joined(separator: " ")
        let cases = ESUCtl.commands.map { c in
            "        \(c.name)) subs=(\(subcommands(c).joined(separator: " "))); opts=(\(options(c).joined(separator: " "))) ;;"
        }.joined(separator: "\n")
        return """
        #compdef esuctl
        # esuctl zsh completion (esuctl completion zsh)
        _esuctl() {
            local -a commands subs opts
            commands=(\(described))
            if (( CURRENT == 2 )); then
                _describe 'esuctl command' commands
                return
            fi
            case $words[2] in
        \(cases)
            esac
            if [[ $PREFIX == -* ]]; then
                compadd -a opts
            elif (( CURRENT == 3 )) && (( ${#subs} )); then
                compadd -a subs
            else
                _files
            fi
        }
        _esuctl "$@"
        """
    }
}
