/// Codes that name no country (or no continent).
public struct CountryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of code was expected.
    public enum Kind: Hashable, Sendable {
        case country
        case continent
    }

    /// Every code that was not recognised, as given.
    public var unknownCodes: [String]
    /// What kind of code was expected.
    public var kind: Kind

    public init(unknownCodes: [String], kind: Kind = .country) {
        self.unknownCodes = unknownCodes
        self.kind = kind
    }

    public var description: String {
        let list = unknownCodes.map { "'\($0)'" }.joined(separator: ", ")
        switch kind {
        case .country:
            let plural = unknownCodes.count == 1 ? "is not an ISO 3166-1 country code" : "are not ISO 3166-1 country codes"
            return "\(list) \(plural) (use alpha-2 such as DE, alpha-3 such as DEU, or @EU for a continent; `geofilter-demo countries` lists them)"
        case .continent:
            return "\(list) is not a continent code (AF AN AS EU NA OC SA)"
        }
    }
}
