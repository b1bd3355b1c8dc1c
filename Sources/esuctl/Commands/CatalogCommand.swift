import ESUCore
import Foundation

/// `esuctl catalog show`: the domain facts in force.
enum CatalogCommand: Command {
    static let name = "catalog"
    static let summary = "Show the ESU catalog in force (OS versions, updates, Activation IDs)"
    static let help = """
    Usage: esuctl catalog show [--json] [--catalog FILE]

    Shows the catalog esuctl decides with: eligible Windows versions, their preparation package and
    qualifying servicing stack updates, the ESU years with their Activation IDs and coverage dates.
    The built-in catalog can be replaced with --catalog FILE (same JSON shape; see --json).

    Options:
      --json          Print the catalog document itself.
      --catalog FILE  Show this catalog instead of the built-in one (validated first).
      -h, --help      Show this help.

    Example: esuctl catalog show --json > my-catalog.json
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let verb = args.popWord() else { throw UsageError.missing("subcommand: show") }
        guard verb == "show" else { throw UsageError.unknownCommand("catalog \(verb)") }
        let json = args.flag("--json")
        let path = try args.option("--catalog")
        try args.finish()
        let catalog = try Input.catalog(path)
        if json { Terminal.out(Terminal.json(catalog)); return .ok }
        var lines = ["\(Terminal.bold(catalog.program))",
                     "catalog \(catalog.catalogVersion), as of \(catalog.asOf)",
                     "Windows Application ID \(catalog.windowsApplicationId)",
                     "minimum SSU release date \(catalog.minimumSSUDate)", "",
                     "ESU-eligible:"]
        for os in catalog.eligibleOS {
            lines.append("  \(os.name) (\(os.version)): prep \(os.prepPackage.kb), SSU \(os.ssus.map(\.kb.description).joined(separator: ", ")) (installs \(os.ssuToInstall))")
        }
        lines.append("In support (no ESU needed): " + catalog.inSupportOS.map { "\($0.name) (\($0.version))" }.joined(separator: ", "))
        lines.append("")
        lines.append("ESU years:")
        for y in catalog.years {
            lines.append("  \(y.year)  \(y.activationId)  \(y.coverageStart) .. \(y.coverageEnd)")
        }
        Terminal.out(lines.joined(separator: "\n"))
        return .ok
    }
}
