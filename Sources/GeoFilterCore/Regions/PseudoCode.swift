/// GeoIP pseudo-codes: regions, special networks and "unknown" markers.
public enum PseudoCode: String, CaseIterable, Hashable, Sendable {
    /// European Union / pan-European blocks (RIPE, ipdeny, IPFire).
    case europe = "EU"
    /// Asia/Pacific region, not one country (APNIC, IPFire).
    case asiaPacific = "AP"
    /// Kosovo: a user-assigned code, not in ISO 3166-1.
    case kosovo = "XK"
    /// Unknown or unassigned (DB-IP, AFRINIC, NRO).
    case unknown = "ZZ"
    /// Anonymous proxy (legacy MaxMind).
    case anonymousProxy = "A1"
    /// Satellite provider (legacy MaxMind).
    case satelliteProvider = "A2"
    /// Other (legacy MaxMind).
    case other = "O1"
    /// Unresolved (Tor's files).
    case unresolved = "??"

    /// What the code stands for.
    public var meaning: String {
        switch self {
        case .europe: "European Union / pan-European"
        case .asiaPacific: "Asia/Pacific region"
        case .kosovo: "Kosovo (user-assigned, not ISO 3166-1)"
        case .unknown: "unknown or unassigned"
        case .anonymousProxy: "anonymous proxy"
        case .satelliteProvider: "satellite provider"
        case .other: "other"
        case .unresolved: "unresolved"
        }
    }
}
