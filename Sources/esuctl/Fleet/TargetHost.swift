/// A host as the fleet commands reach it: the inventory name and how to connect.
struct TargetHost: Sendable, Equatable {
    let name: String
    let address: String
    let port: Int
    let user: String?
    let keyFile: String?
    /// `esu_role=hyperv-host` (or membership of a group named like one) marks the Hyper-V host.
    let isHypervisorHost: Bool
}
