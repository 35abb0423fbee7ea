#if canImport(Glibc)
import Glibc
#endif

/// Everything needed to enforce a plan again with no download and no recompilation from data
/// sources: the policy, the country data the plan was compiled from (as a ``GeoSnapshot``), the
/// plan's digest and the backend that enforced it. ``EnforcementStateStore`` keeps one on disk.
public struct EnforcementState: Sendable {
    /// The policy compiled.
    public var policy: GeoPolicy
    /// Whether broad trusted or provider networks were accepted when the plan was compiled.
    public var allowBroadExemptions: Bool
    /// The digest of the plan that was enforced.
    public var digest: String
    /// The backend that enforced it (`nftables`, `ipset`).
    public var backend: String
    /// Backend settings to apply it with again (`ipset-reduce`: a percentage), by name.
    public var backendSettings: [String: String]
    /// The country data the plan was compiled from: ``GeoSnapshot`` bytes.
    public var snapshot: [UInt8]
    /// When it was stored (seconds since 1970; now when nil is given).
    public var storedAt: Int64
    /// The data's source and version, for people (`IPFire Location 2025-11-20`).
    public var dataDescription: String
    /// When the data was generated (seconds since 1970), when the source says.
    public var dataGeneratedAt: Int64?

    /// The state of a compiled plan.
    ///
    /// - Throws: ``GeoFilterError`` when the plan's data cannot be encoded.
    /// - Complexity: O(n) in the data's segments (the snapshot is encoded and compressed).
    public init(
        plan: FirewallPlan, backend: String, backendSettings: [String: String] = [:], allowBroadExemptions: Bool = false,
        storedAt: Int64? = nil
    ) throws(GeoFilterError) {
        policy = plan.policy
        self.allowBroadExemptions = allowBroadExemptions
        digest = plan.digest
        self.backend = backend
        self.backendSettings = backendSettings
        snapshot = try GeoSnapshot.encode(plan.database)
        self.storedAt = storedAt ?? Int64(time(nil))
        dataDescription = Self.describe(plan.provenance)
        dataGeneratedAt = plan.provenance.generatedAt
    }

    init(
        policy: GeoPolicy, allowBroadExemptions: Bool, digest: String, backend: String, backendSettings: [String: String],
        snapshot: [UInt8], storedAt: Int64, dataDescription: String, dataGeneratedAt: Int64?
    ) {
        self.policy = policy
        self.allowBroadExemptions = allowBroadExemptions
        self.digest = digest
        self.backend = backend
        self.backendSettings = backendSettings
        self.snapshot = snapshot
        self.storedAt = storedAt
        self.dataDescription = dataDescription
        self.dataGeneratedAt = dataGeneratedAt
    }

    /// The stored data, decoded.
    ///
    /// - Throws: ``GeoFilterError`` when the snapshot is not valid.
    public func database() throws(GeoFilterError) -> GeoDatabase {
        try GeoSnapshot.decode(snapshot)
    }

    /// The plan compiled again from the stored policy and data: the same digest as ``digest``
    /// unless the program compiles plans differently now.
    ///
    /// - Throws: ``GeoFilterError`` when the snapshot is not valid or the policy is refused.
    public func plan() throws(GeoFilterError) -> FirewallPlan {
        try FirewallPlan(policy: policy, database: database(), allowBroadExemptions: allowBroadExemptions)
    }

    static func describe(_ provenance: DataProvenance) -> String {
        provenance.sourceName + (provenance.version.map { " \($0)" } ?? "")
    }
}

