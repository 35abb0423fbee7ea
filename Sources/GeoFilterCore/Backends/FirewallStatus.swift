/// What a backend reports about the kernel's state.
public struct FirewallStatus: Sendable, Hashable, Codable {
    /// One kernel set and its element count.
    public struct SetStatus: Sendable, Hashable, Codable {
        public var name: String
        public var elements: Int
    }

    /// One counter of a drop rule.
    public struct Counter: Sendable, Hashable, Codable {
        /// The chain (`input`, `forward`).
        public var chain: String
        /// What the rule drops (`geo4`, `geo6`, `geo4 tcp 5060-5061`).
        public var rule: String
        public var packets: UInt64
        public var bytes: UInt64
    }

    /// The backend that reported it.
    public var backend: BackendKind
    /// Whether a GeoFilter plan is installed.
    public var installed: Bool
    /// The digest of the enforced plan.
    public var digest: String?
    /// The enforced plan's mode.
    public var mode: GeoPolicy.Mode?
    /// The enforced plan's countries (alpha-2).
    public var countries: [String]
    /// Element counts of the kernel sets.
    public var sets: [SetStatus]
    /// Counters of the drop rules.
    public var counters: [Counter]
    /// Packets and bytes dropped per country (block mode with per-country counters), by code.
    public var countryCounters: [CountryCounter]

    /// Drops counted for one country.
    public struct CountryCounter: Sendable, Hashable, Codable {
        public var country: String
        public var packets: UInt64
        public var bytes: UInt64
    }

    /// Packets dropped, all rules together.
    public var droppedPackets: UInt64 { counters.reduce(0) { $0 + $1.packets } + countryCounters.reduce(0) { $0 + $1.packets } }
    /// Bytes dropped, all rules together.
    public var droppedBytes: UInt64 { counters.reduce(0) { $0 + $1.bytes } + countryCounters.reduce(0) { $0 + $1.bytes } }
}
