internal import Foundation

/// A country of ISO 3166-1: codes, English short name and continent.
///
/// ``all`` holds the 249 entries, generated from Debian's iso-codes with continents from
/// GeoNames (`Scripts/generate-countries.py`). A value is one byte (an index into that table),
/// so lookups hand countries around at no cost.
public struct Country: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The position in ``all`` (and in the generated table).
    let index: UInt8

    init(index: UInt8) { self.index = index }

    /// All 249 ISO 3166-1 countries, ordered by alpha-2 code.
    public static let all: [Country] = (0..<records.count).map { Country(index: UInt8($0)) }

    private var record: Record { Self.records[Int(index)] }

    /// The two-letter code, upper case (`DE`).
    public var alpha2: String { record.alpha2 }
    /// The three-letter code, upper case (`DEU`).
    public var alpha3: String { record.alpha3 }
    /// The numeric code (`276`).
    public var numeric: Int { record.numeric }
    /// The English short name as ISO 3166-1 gives it (`Korea, Republic of`).
    public var name: String { record.name }
    /// The common name where iso-codes lists one (`Korea, Republic of` has none; `Taiwan` has).
    public var commonName: String? { record.commonName }
    /// The continent (GeoNames).
    public var continent: Continent { record.continent }

    /// One row of the generated table.
    struct Record: Sendable {
        let alpha2: String
        let alpha3: String
        let numeric: Int
        let name: String
        let commonName: String?
        let continent: Continent
    }

    /// Looks up a country by alpha-2, alpha-3 or numeric code, case-insensitively.
    ///
    /// Pseudo-codes used in GeoIP data (EU, AP, XK, ZZ, ...) are not countries and throw.
    /// - Throws: ``CountryError`` naming the code.
    public init(code: some StringProtocol) throws(CountryError) {
        let key = code.uppercased()
        guard let country = Self.byCode[key] ?? Int(key).flatMap({ Self.byNumeric[$0] }) else {
            throw CountryError(unknownCodes: [String(code)])
        }
        self = country
    }

    /// Parses a list of country codes and `@`-prefixed continent codes (`DE,fr,@AF`), in order,
    /// without repeats.
    ///
    /// - Throws: ``CountryError`` listing every code that is not recognised.
    public static func parseList(_ codes: some Sequence<some StringProtocol>) throws(CountryError) -> [Country] {
        var result: [Country] = []
        var seen: Set<String> = []
        var unknown: [String] = []
        for raw in codes {
            let code = raw.trimmingCharacters(in: .whitespaces)
            if code.isEmpty { continue }
            let countries: [Country]
            if code.hasPrefix("@") {
                guard let continent = try? Continent(code: code.dropFirst()) else {
                    unknown.append(code)
                    continue
                }
                countries = continent.countries
            } else {
                guard let country = try? Country(code: code) else {
                    unknown.append(code)
                    continue
                }
                countries = [country]
            }
            for country in countries where seen.insert(country.alpha2).inserted { result.append(country) }
        }
        if !unknown.isEmpty { throw CountryError(unknownCodes: unknown) }
        return result
    }

    /// The countries whose name, common name or code contains `text`, ignoring case and
    /// diacritics (`cote` finds Côte d'Ivoire), by alpha-2 code.
    public static func search(_ text: String) -> [Country] {
        let needle = fold(text.trimmingCharacters(in: .whitespaces))
        guard !needle.isEmpty else { return all }
        return all.filter { country in
            country.foldedNames.contains { $0.contains(needle) }
                || country.alpha2.lowercased() == needle || country.alpha3.lowercased() == needle
        }
    }

    private var foldedNames: [String] { [name, commonName].compactMap { $0.map(Self.fold) } }

    private static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX"))
    }

    private static let byCode: [String: Country] = {
        var table: [String: Country] = [:]
        for country in all {
            table[country.alpha2] = country
            table[country.alpha3] = country
        }
        return table
    }()

    private static let byNumeric: [Int: Country] = Dictionary(uniqueKeysWithValues: all.map { ($0.numeric, $0) })

    /// Ordered by alpha-2 code.
    public static func < (lhs: Country, rhs: Country) -> Bool { lhs.index < rhs.index }

    /// The alpha-2 code.
    public var description: String { alpha2 }

    public init(from decoder: any Decoder) throws {
        let code = try decoder.singleValueContainer().decode(String.self)
        self = try Country(code: code)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(alpha2)
    }
}
