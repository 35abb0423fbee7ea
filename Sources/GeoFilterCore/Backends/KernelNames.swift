/// The names GeoFilter gives its kernel objects, so two hosts (or tests) can keep theirs apart.
public struct KernelNames: Sendable, Hashable, Codable {
    /// The nftables table (family `inet`).
    public var table: String
    /// The prefix of ipset set names (a set name is at most 31 characters).
    public var setPrefix: String
    /// The iptables/ip6tables chain jumped to from INPUT (and FORWARD).
    public var chain: String

    /// `inet geofilter`, `geofilter-…` sets, chain `GEOFILTER`.
    public static let standard = KernelNames(table: "geofilter", setPrefix: "geofilter-", chain: "GEOFILTER")

    public init(table: String, setPrefix: String, chain: String) {
        self.table = table
        self.setPrefix = setPrefix
        self.chain = chain
    }

    /// The nftables chain that counts and drops one region's packets: `country-CN`
    /// (`country-unresolved` for sources the data leaves unresolved, `??`).
    public static func countryChain(_ region: RegionCode) -> String {
        region.code == "??" ? "country-unresolved" : "country-\(region.code)"
    }

    /// The nftables per-country verdict map of a family: `countries4`, `countries6`.
    public static func countryMap(_ family: IPAddressFamily) -> String {
        family == .ipv4 ? "countries4" : "countries6"
    }
}
