/// One choice of countries: a country or a continent, minus exceptions, with an optional label.
public struct CountrySelection: Codable, Sendable, Hashable, CustomStringConvertible {
    /// A country or a whole continent.
    public enum Target: Sendable, Hashable {
        case country(Country)
        case continent(Continent)
    }

    public var target: Target
    /// Countries removed from a continent (`@AF,-ZA`: all of Africa but South Africa).
    public var exceptions: Set<Country>
    /// A label for reports and rule comments (`block-cn`).
    public var label: String?

    public init(_ target: Target, except exceptions: Set<Country> = [], label: String? = nil) {
        self.target = target
        self.exceptions = exceptions
        self.label = label
    }

    /// The countries selected.
    public var countries: Set<Country> {
        switch target {
        case .country(let country): exceptions.contains(country) ? [] : [country]
        case .continent(let continent): Set(continent.countries).subtracting(exceptions)
        }
    }

    /// Parses `DE,fr,@AF,-ZA`: countries, `@` continents, and `-` exceptions that apply to
    /// every continent of the list.
    ///
    /// - Throws: ``GeoFilterError`` listing every code that is not recognised.
    public static func parseList(_ text: String) throws(GeoFilterError) -> [CountrySelection] {
        var selections: [CountrySelection] = []
        var exceptions: Set<Country> = []
        var unknown: [String] = []
        for raw in text.split(separator: ",") {
            let item = String(raw).trimmingSpaces
            if item.isEmpty { continue }
            if item.hasPrefix("-") {
                if let country = try? Country(code: item.dropFirst()) { exceptions.insert(country) } else { unknown.append(item) }
            } else if item.hasPrefix("@") {
                if let continent = try? Continent(code: item.dropFirst()) { selections.append(.init(.continent(continent))) } else {
                    unknown.append(item)
                }
            } else if let country = try? Country(code: item) {
                selections.append(.init(.country(country)))
            } else {
                unknown.append(item)
            }
        }
        guard unknown.isEmpty else {
            throw GeoFilterError(.invalidInput, CountryError(unknownCodes: unknown).description)
        }
        // Exceptions apply to continents; a country both listed and excepted is left out.
        return selections.compactMap { selection in
            switch selection.target {
            case .continent(let continent):
                return CountrySelection(.continent(continent), except: exceptions.intersection(continent.countries))
            case .country(let country):
                return exceptions.contains(country) ? nil : selection
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case country, continent, except, label
    }

    /// `{"country": "DE", "label": "..."}` or `{"continent": "AF", "except": ["ZA"]}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let country = try container.decodeIfPresent(Country.self, forKey: .country) {
            target = .country(country)
        } else {
            target = .continent(try container.decode(Continent.self, forKey: .continent))
        }
        exceptions = try container.decodeIfPresent(Set<Country>.self, forKey: .except) ?? []
        label = try container.decodeIfPresent(String.self, forKey: .label)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch target {
        case .country(let country): try container.encode(country, forKey: .country)
        case .continent(let continent): try container.encode(continent, forKey: .continent)
        }
        if !exceptions.isEmpty { try container.encode(exceptions.sorted(), forKey: .except) }
        try container.encodeIfPresent(label, forKey: .label)
    }

    public var description: String {
        var text: String
        switch target {
        case .country(let country): text = country.alpha2
        case .continent(let continent): text = "@\(continent.code)"
        }
        if case .continent = target, !exceptions.isEmpty {
            text += " except " + exceptions.sorted().map(\.alpha2).joined(separator: ",")
        }
        return text
    }
}
