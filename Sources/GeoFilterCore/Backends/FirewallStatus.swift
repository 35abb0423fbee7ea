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

    /// Whether the kernel holds exactly what the backend recorded.
    public enum State: String, Sendable, Hashable, Codable {
        /// The kernel enforces the recorded plan, completely (or nothing is installed).
        case enforced
        /// An apply was interrupted (killed) and left its marker: ``digest`` is the plan that
        /// every address family still (or already) enforces, nil while the families differ
        /// (see ``familyDigests``); ``pendingDigest`` is the plan it was installing. The next
        /// apply completes the change or puts the recorded plan back.
        case pending
        /// The kernel does not hold what the record says (a chain, jump or set was changed or
        /// removed by someone else): see ``problems``. ``digest`` is nil; the next apply repairs.
        case damaged
    }

    /// Whether the kernel matches the record (the nftables backend's single transactions keep
    /// it `enforced`). Missing in JSON written before it existed: `enforced`.
    public var state: State = .enforced
    /// The plan an interrupted apply was installing.
    public var pendingDigest: String? = nil
    /// The digest of the plan each address family (`ipv4`, `ipv6`) enforces, where known.
    public var familyDigests: [String: String] = [:]
    /// Temporary kernel objects an interrupted apply left (sets, chains); the next apply
    /// removes them.
    public var leftovers: [String] = []
    /// Why the state is `damaged` (or what of a pending change is missing), one sentence each.
    public var problems: [String] = []

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

extension FirewallStatus {
    private enum CodingKeys: String, CodingKey {
        case backend, installed, digest, mode, countries, sets, counters, countryCounters
        case state, pendingDigest, familyDigests, leftovers, problems
    }

    /// Decodes JSON of this version and of versions before the state fields (they default).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        backend = try container.decode(BackendKind.self, forKey: .backend)
        installed = try container.decode(Bool.self, forKey: .installed)
        digest = try container.decodeIfPresent(String.self, forKey: .digest)
        mode = try container.decodeIfPresent(GeoPolicy.Mode.self, forKey: .mode)
        countries = try container.decode([String].self, forKey: .countries)
        sets = try container.decode([SetStatus].self, forKey: .sets)
        counters = try container.decode([Counter].self, forKey: .counters)
        countryCounters = try container.decodeIfPresent([CountryCounter].self, forKey: .countryCounters) ?? []
        state = try container.decodeIfPresent(State.self, forKey: .state) ?? .enforced
        pendingDigest = try container.decodeIfPresent(String.self, forKey: .pendingDigest)
        familyDigests = try container.decodeIfPresent([String: String].self, forKey: .familyDigests) ?? [:]
        leftovers = try container.decodeIfPresent([String].self, forKey: .leftovers) ?? []
        problems = try container.decodeIfPresent([String].self, forKey: .problems) ?? []
    }
}
