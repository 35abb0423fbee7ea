/// The seven continents, with GeoNames' two-letter codes (as GeoLite2's `continent_code`).
public enum Continent: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case africa = "AF"
    case antarctica = "AN"
    case asia = "AS"
    case europe = "EU"
    case northAmerica = "NA"
    case oceania = "OC"
    case southAmerica = "SA"

    /// The two-letter code: `AF`, `AN`, `AS`, `EU`, `NA`, `OC` or `SA`.
    public var code: String { rawValue }

    /// The English name.
    public var name: String {
        switch self {
        case .africa: "Africa"
        case .antarctica: "Antarctica"
        case .asia: "Asia"
        case .europe: "Europe"
        case .northAmerica: "North America"
        case .oceania: "Oceania"
        case .southAmerica: "South America"
        }
    }

    /// Parses a continent code, case-insensitively (`eu`, `EU`).
    ///
    /// - Throws: ``CountryError`` listing the code when it is not one of the seven.
    public init(code: some StringProtocol) throws(CountryError) {
        guard let continent = Continent(rawValue: code.uppercased()) else {
            throw CountryError(unknownCodes: [String(code)], kind: .continent)
        }
        self = continent
    }

    /// The countries on this continent, by alpha-2 code.
    public var countries: [Country] { Country.all.filter { $0.continent == self } }

    public var description: String { rawValue }
}
