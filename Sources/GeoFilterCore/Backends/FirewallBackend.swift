/// Something that enforces a ``FirewallPlan`` in the kernel: ``NftablesBackend`` or ``IPSetBackend``.
public protocol FirewallBackend: Sendable {
    /// Whether the backend can work here: kernel support, permission, tools.
    func probe() -> BackendProbe
    /// Enforces the plan atomically: the kernel holds either the previous plan or this one.
    ///
    /// - Throws: ``GeoFilterError``; the previous plan stays in force.
    func apply(_ plan: FirewallPlan) throws(GeoFilterError) -> ApplyOutcome
    /// What is in the kernel now.
    func status() throws(GeoFilterError) -> FirewallStatus
    /// Removes everything the backend installed; the rest of the firewall is left as it was.
    func remove() throws(GeoFilterError) -> Bool
}

/// The answer of ``FirewallBackend/probe()``.
public struct BackendProbe: Sendable, Hashable, Codable {
    /// Whether the backend can apply plans here.
    public var available: Bool
    /// One sentence: what works, or what is missing and what to do.
    public var message: String
    /// Why the backend is unavailable (nil when it is available).
    public var reason: Reason?

    /// Why a backend cannot work here.
    public enum Reason: String, Sendable, Hashable, Codable {
        /// The kernel lacks the feature (nfnetlink, nf_tables, ip_set).
        case kernelSupport = "kernel-support"
        /// The process lacks CAP_NET_ADMIN (or CAP_SYS_ADMIN to enter a namespace).
        case permission
        /// A program the backend needs (iptables-restore) is not installed.
        case missingTool = "missing-tool"
        /// A library the backend loads when first used (libipset) is not installed.
        case missingLibrary = "missing-library"
        /// The network namespace does not exist.
        case namespace
        /// Anything else; the message says what.
        case other

        init(_ error: GeoFilterError) {
            switch error.code {
            case .permission: self = .permission
            case .unsupported: self = .kernelSupport
            case .namespace: self = .namespace
            default: self = .other
            }
        }
    }

    public init(available: Bool, message: String, reason: Reason? = nil) {
        self.available = available
        self.message = message
        self.reason = available ? nil : reason ?? .other
    }
}

/// What ``FirewallBackend/apply(_:)`` did.
public enum ApplyOutcome: Sendable, Hashable {
    /// The plan was installed, replacing what was there.
    case applied(digest: String)
    /// The same plan (same digest) was already enforced; nothing was sent.
    case unchanged(digest: String)
    /// The plan differed from the enforced one only in set elements, and only those changed
    /// (deleted and added in one transaction).
    case updated(digest: String, elementsRemoved: Int, elementsAdded: Int)

    /// The digest now enforced.
    public var digest: String {
        switch self {
        case .applied(let digest), .unchanged(let digest), .updated(let digest, _, _): digest
        }
    }
}

/// The network namespace a backend works in.
public enum NetworkNamespace: Sendable, Hashable {
    /// The namespace of the calling process.
    case current
    /// A namespace named as `ip netns` names them (`/var/run/netns/NAME`).
    case named(String)
    /// A namespace file (for example `/proc/PID/ns/net`).
    case path(String)

    /// The namespace file, or nil for the current namespace.
    var path: String? {
        switch self {
        case .current: nil
        case .named(let name): "/var/run/netns/\(name)"
        case .path(let path): path
        }
    }
}

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

    /// The backend (`nftables`).
    public var backend: String
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
