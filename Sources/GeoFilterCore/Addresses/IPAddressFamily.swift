/// The two internet protocol families GeoFilter handles.
public enum IPAddressFamily: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// IPv4: 32-bit addresses.
    case ipv4
    /// IPv6: 128-bit addresses.
    case ipv6

    /// The number of bits in an address of this family: 32 or 128.
    public var bitWidth: Int { self == .ipv4 ? 32 : 128 }

    public var description: String { self == .ipv4 ? "IPv4" : "IPv6" }
}
