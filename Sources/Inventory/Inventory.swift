import Foundation

/// A problem with an inventory file or a `--limit` pattern, with the place to fix it.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// 1-based; 0 when the problem is not tied to a line (a --limit pattern, an unreadable file).
    public let line: Int
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

/// One host as the run sees it: its effective variables after Ansible's precedence
/// (`all` < parent groups < child groups < host line).
public struct InventoryHost: Sendable, Equatable {
    public let name: String
    /// Every group the host belongs to, directly or through `:children`, excluding `all`; sorted.
    public let groups: [String]
    public let variables: [String: String]
    /// Where each variable's effective value was written, for error messages.
    let origins: [String: Int]
    let file: String

    /// `ansible_host` (or the legacy `ansible_ssh_host`), else the inventory name.
    public var address: String { variables["ansible_host"] ?? variables["ansible_ssh_host"] ?? name }
    /// `ansible_port`; nil means the SSH default, 22. Validated when the inventory is loaded.
    public var port: Int? { (variables["ansible_port"] ?? variables["ansible_ssh_port"]).flatMap { Int($0) } }
    public var user: String? { variables["ansible_user"] ?? variables["ansible_ssh_user"] }
    public var privateKeyFile: String? { variables["ansible_ssh_private_key_file"] ?? variables["ansible_private_key_file"] }

    /// The value of `variable` for use inside a remote command: rejected (with the file and line
    /// that set it) if it contains anything a shell — `sh` or `cmd.exe` — would interpret.
    /// Returns nil when the variable is not set.
    public func commandSafeValue(_ variable: String) throws(InventoryError) -> String? {
        guard let v = variables[variable] else { return nil }
        guard !v.isEmpty, v.unicodeScalars.allSatisfy({ InventoryHost.safeScalars.contains($0) }) else {
            throw InventoryError(
                file: file, line: origins[variable] ?? 0,
                message: "\(variable) for host \(name) contains characters a remote shell would interpret; "
                    + "only letters, digits and . _ - : / \\ @ + = , are allowed in values used in commands")
        }
        return v
    }

    static let safeScalars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/\\@+=,".unicodeScalars)
}

/// An Ansible-compatible INI inventory: `[group]`, `[group:vars]`, `[group:children]`, host lines
/// `name key=value ...` (with `host:port`, `[01:10]` ranges and quoting), `#`/`;` comments.
public struct Inventory: Sendable {
    public let file: String
    /// In order of first appearance in the file.
    public let hosts: [InventoryHost]
    /// Every group name, including `all` and `ungrouped`.
    public let groupNames: Set<String>
    let groupMembers: [String: Set<String>]

    public static let defaultPath = "inventory/hosts.ini"

    public static func load(path: String) throws(InventoryError) -> Inventory {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw InventoryError(file: path, line: 0, message: "cannot read the inventory: \((error as NSError).localizedDescription); pass -i FILE")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InventoryError(file: path, line: 0, message: "the inventory is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(InventoryError) -> Inventory {
        var p = Parser(file: file)
        try p.parse(text)
        return try p.build()
    }

    // MARK: - Host selection

    /// Ansible `--limit`: terms separated by `,` (or `:`), each a host name, group name, glob
    /// (`web*`, `db?`), `~regex`, or `all`; `&term` intersects, `!term` excludes. nil selects all.
    /// A term that matches nothing is an error, so a typo never silently shrinks the run.
    public func select(_ pattern: String?) throws(InventoryError) -> [InventoryHost] {
        guard let pattern, !pattern.trimmingCharacters(in: .whitespaces).isEmpty else { return hosts }
        let separators: Set<Character> = pattern.contains(",") ? [","] : [":"]
        let terms = pattern.split(whereSeparator: { separators.contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var union: Set<String> = []
        var sawPositive = false
        var intersections: [Set<String>] = []
        var exclusions: Set<String> = []
        for term in terms {
            if term.hasPrefix("!") {
                exclusions.formUnion(try match(String(term.dropFirst()), whole: pattern))
            } else if term.hasPrefix("&") {
                intersections.append(try match(String(term.dropFirst()), whole: pattern))
            } else {
                sawPositive = true
                union.formUnion(try match(term, whole: pattern))
            }
        }
        var selected = sawPositive ? union : Set(hosts.map(\.name))
        for i in intersections { selected.formIntersection(i) }
        selected.subtract(exclusions)
        return hosts.filter { selected.contains($0.name) }
    }

    private func match(_ term: String, whole: String) throws(InventoryError) -> Set<String> {
        var result: Set<String> = []
        if term.hasPrefix("~") {
            guard let re = try? NSRegularExpression(pattern: String(term.dropFirst())) else {
                throw InventoryError(file: "--limit", line: 0, message: "'\(term)' is not a valid regular expression")
            }
            let test = { (s: String) in re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil }
            for h in hosts where test(h.name) { result.insert(h.name) }
            for g in groupNames where test(g) { result.formUnion(groupMembers[g] ?? []) }
        } else if term == "all" || term == "*" {
            result = Set(hosts.map(\.name))
        } else {
            for h in hosts where Glob.match(term, h.name) { result.insert(h.name) }
            for g in groupNames where Glob.match(term, g) { result.formUnion(groupMembers[g] ?? []) }
        }
        if result.isEmpty {
            throw InventoryError(
                file: "--limit", line: 0,
                message: "'\(term)' (in '\(whole)') matches no host or group in \(file); check the spelling")
        }
        return result
    }
}

enum Glob {
    /// Shell-style `*`, `?` and `[...]` matching, as Ansible's fnmatch.
    static func match(_ pattern: String, _ text: String) -> Bool {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return pattern == text }
        return fnmatch(pattern, text, 0) == 0
    }
}
