/// A network of either family.
public enum IPAnyNetwork: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Network)
    case v6(IPv6Network)

    /// The network's address family.
    public var family: IPAddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The prefix length.
    public var prefixLength: Int {
        switch self {
        case .v4(let network): network.prefixLength
        case .v6(let network): network.prefixLength
        }
    }

    public var description: String {
        switch self {
        case .v4(let network): network.description
        case .v6(let network): network.description
        }
    }
}
