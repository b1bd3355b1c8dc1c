/// Which simulated guests a lab holds. Profiles are the guest simulator's (docs/guest-simulator.md).
public struct LabGuest: Sendable, Equatable {
    public let name: String
    /// The simulator profile, or nil for an inventory entry that points where nothing answers.
    public let profile: String?
    public let group: String
    public let language: String

    public init(name: String, profile: String?, group: String = "esu_guests", language: String = "en-US") {
        self.name = name; self.profile = profile; self.group = group; self.language = language
    }
}

public enum Scenario: String, Sendable, CaseIterable {
    /// One guest in every stage, the 2019 Hyper-V host, a 2012 guest, an exhausted MAK, an unreachable one.
    case mixed
    /// N identical unpatched 2012 R2 guests, for scale.
    case fresh

    public func guests(count: Int?) -> [LabGuest] {
        switch self {
        case .mixed:
            return [
                LabGuest(name: "hv-host", profile: "hyperv-host-2019", group: "hyperv_hosts"),
                LabGuest(name: "r2-fresh", profile: "fresh"),
                LabGuest(name: "r2-ssu-only", profile: "ssu-only"),
                LabGuest(name: "r2-needs-restart", profile: "prereqs-no-restart"),
                LabGuest(name: "r2-key-installed", profile: "key-installed"),
                LabGuest(name: "r2-licensed", profile: "licensed"),
                LabGuest(name: "r2-ja", profile: "japanese", language: "ja-JP"),
                LabGuest(name: "r2-arc", profile: "arc"),
                LabGuest(name: "s2012", profile: "server2012"),
                LabGuest(name: "r2-mak-exhausted", profile: "mak-exhausted"),
                LabGuest(name: "r2-unreachable", profile: nil),
            ]
        case .fresh:
            let n = count ?? 10
            let width = max(3, String(n).count)
            return (1...max(1, n)).map { i in
                let digits = String(i)
                return LabGuest(name: "guest" + String(repeating: "0", count: width - digits.count) + digits, profile: "fresh")
            }
        }
    }
}
