import Foundation

/// One agent exec: bootstrap check, stdin framing, script hash, request, verb, one UTF-8 envelope.
struct AgentSession {
    let paths: GuestPaths
    let command: String
    let now: Date

    func run() -> Never {
        let faults = (try? StateStore.read(paths).faults) ?? Faults()
        guard let expected = Bootstrap.expectedHash(fromCommand: command) else {
            // Real PowerShell would run whatever it was given; the simulator refuses anything but the bootstrap.
            reply(verb: nil, .fail("protocol", "the exec command is not the esuctl bootstrap of protocol 1"), exit: 2, faults: faults)
        }
        let lines = Bootstrap.stdinLines([UInt8](FileHandle.standardInput.readDataToEndOfFile()))
        guard lines.count >= 3, lines[0] == "esuctl-agent 1" else {
            reply(verb: nil, .fail("protocol", "stdin does not start with esuctl-agent 1"), exit: 2, faults: faults)
        }
        guard let script = B64.decode(lines[1]) else {
            reply(verb: nil, .fail("protocol", "agent script line is not base64"), exit: 2, faults: faults)
        }
        guard SHA256.hex(script) == expected else {
            reply(verb: nil, .fail("hash", "agent script hash mismatch"), exit: 2, faults: faults)
        }
        guard String(decoding: script, as: UTF8.self).hasPrefix("param(") else {
            reply(verb: nil, .fail("protocol", "the script is not the esuctl agent"), exit: 2, faults: faults)
        }
        guard let reqBytes = B64.decode(lines[2]), let req = JSON.object(reqBytes), let verb = req["verb"] as? String else {
            reply(verb: nil, .fail("args", "request line is not base64 of a JSON object with a verb"), exit: 1, faults: faults)
        }
        let args = (req["args"] as? [String: Any]) ?? [:]
        var secret: String? = nil
        if lines.count > 3, !lines[3].isEmpty {
            guard let k = B64.decode(lines[3]) else {
                reply(verb: verb, .fail("args", "secret line is not base64"), exit: 1, faults: faults)
            }
            secret = String(decoding: k, as: UTF8.self)
        }
        let result: VerbResult
        do { result = try Verbs(paths: paths, now: now).run(verb: verb, args: args, secret: secret) }
        catch { result = .fail("internal", "\(error)") }
        reply(verb: verb, result, exit: result.ok ? 0 : 1, faults: faults)
    }

    func reply(verb: String?, _ r: VerbResult, exit status: Int32, faults: Faults) -> Never {
        let env: [String: Any] = [
            "protocol": 1,
            "agent": verb == nil ? NSNull() : "sim-1" as Any,
            "verb": verb.map { $0 as Any } ?? NSNull(),
            "ok": r.ok,
            "data": r.data,
            "error": r.errorCode.map { ["code": $0, "text": r.errorText ?? ""] as Any } ?? NSNull(),
        ]
        Delivery.send(JSON.bytes(env), exitStatus: status, faults: faults)
    }
}
