/// Which kernel backend enforces a plan: ``nftables`` or ``ipset``, or a host's own
/// ``FirewallBackend`` under a name of its choosing.
public struct BackendKind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name, as the demo's `--backend` spells it.
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// ``NftablesBackend``: one nf_tables table of our own, changed in single transactions.
    public static let nftables = BackendKind(rawValue: "nftables")
    /// ``IPSetBackend``: `hash:net` sets through libipset and an iptables chain of our own.
    public static let ipset = BackendKind(rawValue: "ipset")

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
