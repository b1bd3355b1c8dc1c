import Foundation

/// The `data` of a `list-guests` reply (docs/agent-protocol.md, section 5).
public struct GuestList: Decodable, Sendable {
    public struct HostInfo: Decodable, Sendable {
        public let computerName: String?
        public let osName: String?
        public let osVersion: String?
    }

    public struct VM: Decodable, Sendable {
        public struct Item: Decodable, Sendable {
            public let name: String
            public let data: String?
        }
        /// `Msvm_ComputerSystem.ElementName`.
        public let name: String
        /// `Msvm_ComputerSystem.EnabledState` (2 running, 3 off).
        public let enabledState: Int?
        /// `GuestIntrinsicExchangeItems` as Name/Data pairs; null when the VM has none (off, no KVP service).
        public let items: [Item]?

        /// The items as a dictionary (the first of a repeated name wins); nil when there are none.
        public var itemMap: [String: String]? {
            guard let items else { return nil }
            var map: [String: String] = [:]
            for item in items where map[item.name] == nil { map[item.name] = item.data ?? "" }
            return map
        }
    }

    public let host: HostInfo
    public let guests: [VM]
}
