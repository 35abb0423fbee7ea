internal import CNetfilterShim

/// The C libraries GeoFilter's kernel backends use, as the dynamic loader resolved them in this
/// process (libnftnl and libmnl are linked; libipset is opened when first needed).
public struct NetfilterLibraries: Sendable, Hashable {
    /// The shared object that provides libipset (for example `/lib/x86_64-linux-gnu/libipset.so.13`),
    /// loaded on first use; nil when it is not installed (the ipset backend is then unavailable).
    public let ipsetPath: String?
    /// The shared object that provides libnftnl.
    public let nftnlPath: String?
    /// The shared object that provides libmnl.
    public let mnlPath: String?
    /// The ipset netlink protocol version the shim was compiled against (plumbing for the
    /// package's diagnostics and tests, not product API).
    package let ipsetProtocolVersion: Int
    /// The nfnetlink subsystem id of nf_tables the shim was compiled against (plumbing, as above).
    package let nftablesSubsystemID: Int

    /// What this process has loaded.
    public static var loaded: NetfilterLibraries {
        NetfilterLibraries(
            ipsetPath: CNetfilterShim_ipset_library_path().map { String(cString: $0) },
            nftnlPath: CNetfilterShim_nftnl_library_path().map { String(cString: $0) },
            mnlPath: CNetfilterShim_mnl_library_path().map { String(cString: $0) },
            ipsetProtocolVersion: Int(CNetfilterShim_ipset_protocol_version()),
            nftablesSubsystemID: Int(CNetfilterShim_nftables_subsystem_id()))
    }
}
