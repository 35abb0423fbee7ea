/// Per-region figures of a ``GeoDatabase``.
public struct RegionStatistics: Sendable, Hashable {
    public var region: RegionCode
    /// Minimal IPv4 networks (ipset `hash:net` entries).
    public var ipv4Networks: Int
    /// Minimal IPv6 networks.
    public var ipv6Networks: Int
    /// IPv4 ranges (nftables interval elements).
    public var ipv4Ranges: Int
    /// IPv6 ranges.
    public var ipv6Ranges: Int
    /// IPv4 addresses covered.
    public var ipv4Addresses: UInt64
}
