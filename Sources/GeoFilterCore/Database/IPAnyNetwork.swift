/// A network of either family.
public enum IPAnyNetwork: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Network)
    case v6(IPv6Network)

    public var description: String {
        switch self {
        case .v4(let network): network.description
        case .v6(let network): network.description
        }
    }
}
