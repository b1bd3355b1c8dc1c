import Foundation

/// One change esuctl can make on a guest, in the order the ESU procedure needs them.
public enum Step: Equatable, Sendable {
    /// Install the servicing stack update (an SSU released on or after the catalog's minimum date).
    case installSSU(KB)
    /// Install the ESU licensing preparation package (KB5017220 on 2012 R2, KB5017221 on 2012).
    case installPrep(KB)
    /// Restart the guest; `reason` says why, for the operator and the audit log.
    case restart(reason: String)
    /// `slmgr /ipk` the operator's key for this ESU year.
    case installKey(ESUYear)
    /// `slmgr /ato` this year's ESU Activation ID.
    case activate(ESUYear, ActivationID)

    public var kind: String {
        switch self {
        case .installSSU: "installSSU"
        case .installPrep: "installPrep"
        case .restart: "restart"
        case .installKey: "installKey"
        case .activate: "activate"
        }
    }

    /// One line for a human: what the step does.
    public var summary: String {
        switch self {
        case .installSSU(let kb): "install servicing stack update \(kb)"
        case .installPrep(let kb): "install ESU licensing preparation package \(kb)"
        case .restart(let reason): "restart (\(reason))"
        case .installKey(let year): "install the ESU \(year) key (slmgr /ipk)"
        case .activate(let year, let id): "activate ESU \(year) (slmgr /ato \(id))"
        }
    }
}

extension Step: Codable {
    enum CodingKeys: String, CodingKey { case kind, kb, year, activationId, reason }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .installSSU(let kb), .installPrep(let kb): try c.encode(kb, forKey: .kb)
        case .restart(let reason): try c.encode(reason, forKey: .reason)
        case .installKey(let year): try c.encode(year, forKey: .year)
        case .activate(let year, let id):
            try c.encode(year, forKey: .year)
            try c.encode(id, forKey: .activationId)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "installSSU": self = .installSSU(try c.decode(KB.self, forKey: .kb))
        case "installPrep": self = .installPrep(try c.decode(KB.self, forKey: .kb))
        case "restart": self = .restart(reason: try c.decode(String.self, forKey: .reason))
        case "installKey": self = .installKey(try c.decode(ESUYear.self, forKey: .year))
        case "activate":
            self = .activate(try c.decode(ESUYear.self, forKey: .year), try c.decode(ActivationID.self, forKey: .activationId))
        case let other:
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.kind],
                debugDescription: "'\(other)' is not a step kind (installSSU, installPrep, restart, installKey, activate)"))
        }
    }
}
