/// A transport protocol a geo rule can be scoped to.
public enum TransportProtocol: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    case tcp
    case udp

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
