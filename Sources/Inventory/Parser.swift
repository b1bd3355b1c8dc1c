import Foundation

/// A value and the line that set it.
struct Located {
    let value: String
    let line: Int
}

struct Parser {
    let file: String
    private enum Section { case hosts(String), vars(String), children(String) }

    private var hostOrder: [String] = []
    private var hostVars: [String: [String: Located]] = [:]
    private var hostLine: [String: Int] = [:]
    private var directGroups: [String: Set<String>] = [:]  // host -> groups it is listed under
    private var groupVars: [String: [String: Located]] = [:]
    private var children: [String: [(String, Int)]] = [:]  // parent -> children
    private var groups: [String: Int] = ["all": 0, "ungrouped": 0]  // group -> line defined

    init(file: String) { self.file = file }

    private func fail(_ line: Int, _ message: String) -> InventoryError {
        InventoryError(file: file, line: line, message: message)
    }

    mutating func parse(_ text: String) throws(InventoryError) {
        var section = Section.hosts("ungrouped")
        var lineNo = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && !looksLikeBracketHost(line) {
                section = try header(line, lineNo)
                continue
            }
            switch section {
            case .hosts(let g): try hostLine(line, group: g, lineNo)
            case .vars(let g): try varLine(line, group: g, lineNo)
            case .children(let g): try childLine(line, parent: g, lineNo)
            }
        }
    }

    /// `[::1]:2222 ansible_user=x` and `[2001:db8::1]` are hosts, not section headers.
    private func looksLikeBracketHost(_ line: String) -> Bool {
        guard let close = line.firstIndex(of: "]") else { return false }
        let inside = line[line.index(after: line.startIndex)..<close]
        return inside.filter({ $0 == ":" }).count >= 2
    }

    private mutating func header(_ line: String, _ n: Int) throws(InventoryError) -> Section {
        var body = line
        if let hash = body.firstIndex(of: "#"), body[..<hash].contains("]") { body = String(body[..<hash]) }
        body = body.trimmingCharacters(in: .whitespaces)
        guard body.hasSuffix("]") else { throw fail(n, "section header '\(line)' is missing its closing ']'") }
        let inner = String(body.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        let parts = inner.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, Parser.validGroupName(name) else {
            throw fail(n, "'\(inner)' is not a valid group name; use letters, digits, '_', '-' and '.'")
        }
        if groups[name] == nil { groups[name] = n }
        guard parts.count == 2 else { return .hosts(name) }
        switch parts[1] {
        case "vars": return .vars(name)
        case "children": return .children(name)
        default: throw fail(n, "unknown section type ':\(parts[1])' in '[\(inner)]'; expected :vars or :children")
        }
    }

    static func validGroupName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }

    private mutating func hostLine(_ line: String, group: String, _ n: Int) throws(InventoryError) {
        let tokens = try Shlex.split(line, file: file, line: n)
        guard let pattern = tokens.first else { return }
        var vars: [String: Located] = [:]
        for t in tokens.dropFirst() {
            guard let eq = t.firstIndex(of: "="), eq != t.startIndex else {
                throw fail(n, "expected key=value host variable assignment, got '\(t)'")
            }
            vars[String(t[..<eq])] = Located(value: String(t[t.index(after: eq)...]), line: n)
        }
        let (names, port) = try expandHostPattern(pattern, n)
        if let port { vars["ansible_port"] = Located(value: String(port), line: n) }
        for name in names {
            if hostVars[name] == nil {
                hostOrder.append(name)
                hostVars[name] = [:]
                hostLine[name] = n
            }
            hostVars[name]!.merge(vars) { $1 }
            directGroups[name, default: []].insert(group)
        }
    }

    private mutating func varLine(_ line: String, group: String, _ n: Int) throws(InventoryError) {
        guard let eq = line.firstIndex(of: "=") else {
            throw fail(n, "expected key=value in [\(group):vars], got '\(line)'")
        }
        let key = line[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !key.contains(" ") else { throw fail(n, "'\(key)' is not a variable name") }
        var value = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        value = try Shlex.unquoteValue(value, file: file, line: n)
        groupVars[group, default: [:]][key] = Located(value: value, line: n)
    }

    private mutating func childLine(_ line: String, parent: String, _ n: Int) throws(InventoryError) {
        let name = (line.split(separator: "#").first.map(String.init) ?? line).trimmingCharacters(in: .whitespaces)
        guard Parser.validGroupName(name) else { throw fail(n, "'\(name)' is not a valid group name in [\(parent):children]") }
        guard name != "all" else { throw fail(n, "'all' cannot be a child group") }
        if groups[name] == nil { groups[name] = n }
        children[parent, default: []].append((name, n))
    }

    /// `name`, `name:port`, `[v6]:port`, bare IPv6, and numeric/alphabetic ranges `web[01:10:2]`.
    private func expandHostPattern(_ p: String, _ n: Int) throws(InventoryError) -> ([String], Int?) {
        var host = p
        var port: Int?
        if p.hasPrefix("["), let close = p.firstIndex(of: "]") {
            host = String(p[p.index(after: p.startIndex)..<close])
            let rest = p[p.index(after: close)...]
            if rest.hasPrefix(":") { port = try parsePort(String(rest.dropFirst()), n) }
            else if !rest.isEmpty { throw fail(n, "cannot parse host '\(p)'") }
            return ([host], port)
        }
        let colons = p.filter { $0 == ":" }.count
        if colons >= 2 && !p.contains("[") { return ([p], nil) }  // a bare IPv6 address
        if let last = p.lastIndex(of: ":"), !p[last...].contains("]") {
            port = try parsePort(String(p[p.index(after: last)...]), n)
            host = String(p[..<last])
        }
        return (try expandRanges(host, n), port)
    }

    private func parsePort(_ s: String, _ n: Int) throws(InventoryError) -> Int {
        guard let v = Int(s), (1...65535).contains(v) else { throw fail(n, "'\(s)' is not a port number (1-65535)") }
        return v
    }

    private func expandRanges(_ s: String, _ n: Int) throws(InventoryError) -> [String] {
        guard let open = s.firstIndex(of: "[") else { return [s] }
        guard let close = s[open...].firstIndex(of: "]") else { throw fail(n, "unbalanced '[' in host pattern '\(s)'") }
        let head = String(s[..<open]), tail = String(s[s.index(after: close)...])
        let spec = s[s.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard spec.count == 2 || spec.count == 3 else { throw fail(n, "range '[\(spec.joined(separator: ":"))]' must be [start:end] or [start:end:step]") }
        let step = spec.count == 3 ? Int(spec[2]) ?? 0 : 1
        guard step > 0 else { throw fail(n, "range step in '\(s)' must be a positive number") }
        var items: [String] = []
        if let a = Int(spec[0]), let b = Int(spec[1]) {
            guard a <= b, b - a <= 100_000 else { throw fail(n, "range '\(spec[0]):\(spec[1])' in '\(s)' is empty or too large") }
            let width = spec[0].hasPrefix("0") ? spec[0].count : 0
            for i in stride(from: a, through: b, by: step) {
                let d = String(i)
                items.append(String(repeating: "0", count: max(0, width - d.count)) + d)
            }
        } else if spec[0].count == 1, spec[1].count == 1, let a = spec[0].unicodeScalars.first, let b = spec[1].unicodeScalars.first,
            a.properties.isAlphabetic, b.properties.isAlphabetic, a.value <= b.value
        {
            for v in stride(from: a.value, through: b.value, by: step) { items.append(String(UnicodeScalar(v)!)) }
        } else {
            throw fail(n, "cannot parse range '[\(spec.joined(separator: ":"))]' in '\(s)'")
        }
        var out: [String] = []
        for item in items {
            for rest in try expandRanges(tail, n) { out.append(head + item + rest) }
        }
        return out
    }

    // MARK: - Resolution

    func build() throws(InventoryError) -> Inventory {
        // Depth in the group tree decides precedence; a cycle would make it infinite.
        var depth: [String: Int] = ["all": 0]
        var parentsOf: [String: Set<String>] = [:]
        for (p, cs) in children { for (c, _) in cs { parentsOf[c, default: []].insert(p) } }
        func computeDepth(_ g: String, _ stack: [String]) throws(InventoryError) -> Int {
            if let d = depth[g] { return d }
            if stack.contains(g) {
                let line = children[g]?.first?.1 ?? groups[g] ?? 0
                throw fail(line, "group '\(g)' is its own ancestor (\((stack + [g]).joined(separator: " -> "))); remove the cycle from the :children sections")
            }
            var d = 1
            for p in (parentsOf[g] ?? []).sorted() where p != "all" { d = max(d, try computeDepth(p, stack + [g]) + 1) }
            depth[g] = d
            return d
        }
        // In file order, so the same file always reports the same cycle at the same line.
        for g in groups.keys.sorted(by: { (groups[$0]!, $0) < (groups[$1]!, $1) }) { _ = try computeDepth(g, []) }

        func ancestors(_ g: String) -> Set<String> {
            var seen: Set<String> = [g]
            var todo = [g]
            while let x = todo.popLast() {
                for p in parentsOf[x] ?? [] where !seen.contains(p) { seen.insert(p); todo.append(p) }
            }
            return seen
        }

        var members: [String: Set<String>] = [:]
        var hosts: [InventoryHost] = []
        for name in hostOrder {
            var direct = directGroups[name] ?? []
            if direct.count > 1 { direct.remove("ungrouped") }
            var all: Set<String> = []
            for g in direct { all.formUnion(ancestors(g)) }
            all.remove("all")
            for g in all { members[g, default: []].insert(name) }
            members["all", default: []].insert(name)

            var merged: [String: Located] = groupVars["all"] ?? [:]
            for g in all.sorted(by: { (depth[$0]!, $0) < (depth[$1]!, $1) }) {
                merged.merge(groupVars[g] ?? [:]) { $1 }
            }
            merged.merge(hostVars[name] ?? [:]) { $1 }
            try validate(name, merged)
            hosts.append(InventoryHost(
                name: name, groups: all.sorted(), variables: merged.mapValues(\.value),
                origins: merged.mapValues(\.line), file: file))
        }
        return Inventory(file: file, hosts: hosts, groupNames: Set(groups.keys), groupMembers: members)
    }

    /// Connection variables become typed values at the edge; reject what they cannot be.
    private func validate(_ host: String, _ vars: [String: Located]) throws(InventoryError) {
        for key in ["ansible_port", "ansible_ssh_port"] {
            if let v = vars[key], Int(v.value).map({ !(1...65535).contains($0) }) ?? true {
                throw fail(v.line, "\(key)='\(v.value)' for host \(host) is not a port number (1-65535)")
            }
        }
        for key in ["ansible_host", "ansible_ssh_host"] {
            if let v = vars[key], v.value.isEmpty || !v.value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:%[]".contains($0)) }) {
                throw fail(v.line, "\(key)='\(v.value)' for host \(host) is not a host name or IP address")
            }
        }
        for key in ["ansible_user", "ansible_ssh_user"] {
            if let v = vars[key], v.value.isEmpty || v.value.hasPrefix("-")
                || !v.value.allSatisfy({ $0.isLetter || $0.isNumber || "._-@\\$".contains($0) })
            {
                throw fail(v.line, "\(key)='\(v.value)' for host \(host) is not a user name")
            }
        }
    }
}

/// POSIX-shell-style word splitting as Python's `shlex.split(comments=True)`, which Ansible uses.
enum Shlex {
    static func split(_ s: String, file: String, line: Int) throws(InventoryError) -> [String] {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in s {
            if escape {
                cur.append(c); escape = false; continue
            }
            if let q = quote {
                if c == q { quote = nil }
                else if c == "\\" && q == "\"" { escape = true }
                else { cur.append(c) }
                continue
            }
            switch c {
            case "\"", "'": quote = c; inWord = true
            case "\\": escape = true; inWord = true
            case " ", "\t":
                if inWord { words.append(cur); cur = ""; inWord = false }
            case "#" where !inWord:
                if inWord { words.append(cur) }
                return words
            default: cur.append(c); inWord = true
            }
        }
        if quote != nil || escape {
            throw InventoryError(file: file, line: line, message: "unterminated quote or escape in '\(s)'")
        }
        if inWord { words.append(cur) }
        return words
    }

    /// A `[group:vars]` value: surrounding quotes removed, trailing ` # comment` dropped.
    static func unquoteValue(_ v: String, file: String, line: Int) throws(InventoryError) -> String {
        guard let first = v.first, first == "\"" || first == "'" else {
            if let r = v.range(of: " #") { return String(v[..<r.lowerBound]).trimmingCharacters(in: .whitespaces) }
            return v
        }
        let words = try split(v, file: file, line: line)
        guard words.count == 1 else {
            throw InventoryError(file: file, line: line, message: "cannot parse value \(v); quote the whole value")
        }
        return words[0]
    }
}
