import ArgumentParser
import Foundation
import GeoFilterCore

extension GeoFilterDemo {
    /// `countries [--search TEXT] [--continent CC] [--json]`: the ISO 3166-1 table.
    struct Countries: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List ISO 3166-1 countries: alpha-2, alpha-3, numeric, name, continent.",
            discussion: "Text output is tab-separated, one country per line, ordered by alpha-2 code.")

        @Option(name: .long, help: "Only countries whose name or code contains TEXT (case and accents ignored).")
        var search: String?

        @Option(name: .long, help: "Only countries on this continent (AF AN AS EU NA OC SA).")
        var continent: String?

        @Flag(name: .long, help: "Print a JSON array of objects (alpha2, alpha3, numeric, name, continent).")
        var json = false

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                var countries = search.map(Country.search) ?? Country.all
                if let continent {
                    let wanted: Continent
                    do throws(CountryError) { wanted = try Continent(code: continent) } catch {
                        throw GeoFilterError(.invalidInput, error.description)
                    }
                    countries = countries.filter { $0.continent == wanted }
                }
                try FileOutput.standardOutput.write(json ? Self.json(countries) : Self.text(countries))
            }
        }

        private static func numeric(_ country: Country) -> String {
            let digits = String(country.numeric)
            return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
        }

        private static func text(_ countries: [Country]) -> String {
            countries.map { "\($0.alpha2)\t\($0.alpha3)\t\(numeric($0))\t\($0.name)\t\($0.continent)\n" }.joined()
        }

        private struct Entry: Encodable {
            let alpha2: String
            let alpha3: String
            let numeric: String
            let name: String
            let continent: String
        }

        private static func json(_ countries: [Country]) throws(GeoFilterError) -> String {
            let entries = countries.map {
                Entry(alpha2: $0.alpha2, alpha3: $0.alpha3, numeric: numeric($0), name: $0.name, continent: $0.continent.code)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            do {
                return String(decoding: try encoder.encode(entries), as: UTF8.self) + "\n"
            } catch {
                throw GeoFilterError(.file, "cannot encode JSON: \(error)")
            }
        }
    }
}
