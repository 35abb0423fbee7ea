/// Which kernel backend enforces a plan.
public enum BackendKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// ``NftablesBackend``: one nf_tables table of our own, changed in single transactions.
    case nftables
    /// ``IPSetBackend``: `hash:net` sets through libipset and an iptables chain of our own.
    case ipset

    /// `nftables` or `ipset`, as the demo's `--backend` spells it.
    public var description: String { rawValue }
}
