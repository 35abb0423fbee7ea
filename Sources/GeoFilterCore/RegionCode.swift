/// The code a row of GeoIP data assigns to a network: a real country, a pseudo-code, or a
/// code that is neither (withdrawn or noise).
///
/// Pseudo-codes are reported, never mapped to a real country.
public enum RegionCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// An ISO 3166-1 country.
    case country(Country)
    /// A pseudo-code GeoIP data uses for something that is not one country.
    case pseudo(PseudoCode)
    /// A two-character code that is neither (CS, UK, AN, SU, ... in real feeds).
    case unrecognized(String)

    /// Classifies a code as found in data (case-insensitive).
    public init(dataCode code: some StringProtocol) {
        let upper = code.uppercased()
        if let pseudo = PseudoCode(rawValue: upper) {
            self = .pseudo(pseudo)
        } else if upper.utf8.count == 2, let country = try? Country(code: upper) {
            self = .country(country)
        } else {
            self = .unrecognized(upper)
        }
    }

    /// The code as written in data (`DE`, `EU`, `??`).
    public var code: String {
        switch self {
        case .country(let country): country.alpha2
        case .pseudo(let pseudo): pseudo.rawValue
        case .unrecognized(let code): code
        }
    }

    /// The country, when the code is a real one.
    public var country: Country? {
        if case .country(let country) = self { return country }
        return nil
    }

    public var description: String { code }

    public static func < (lhs: RegionCode, rhs: RegionCode) -> Bool { lhs.code < rhs.code }
}

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
