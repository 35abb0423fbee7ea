import Foundation
import Testing

@testable import GeoFilterCore

@Suite("Countries")
struct CountryTests {
    @Test(
        "The table equals Debian's iso-codes JSON",
        .enabled(if: TestPaths.available("/usr/share/iso-codes/json/iso_3166-1.json"), "needs Debian's iso-codes package"))
    func matchesISOCodes() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/iso-codes/json/iso_3166-1.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[String: String]]])
        let entries = try #require(json["3166-1"])
        #expect(entries.count == 249)
        #expect(Country.all.count == entries.count)
        for entry in entries {
            let country = try Country(code: #require(entry["alpha_2"]))
            #expect(country.alpha3 == entry["alpha_3"])
            #expect(country.numeric == Int(entry["numeric"] ?? ""))
            #expect(country.name == entry["name"])
            #expect(country.commonName == entry["common_name"])
        }
    }

    @Test(
        "Continents equal GeoNames' (the shared ISO/continent table)",
        .enabled(if: TestPaths.available(TestPaths.sharedTestData), "needs ../shared/testdata beside the checkout"))
    func matchesGeoNamesContinents() throws {
        let path = TestPaths.sharedTestData + "/iso3166-1_debian-iso-codes-4.15.0_with-geonames-continent.tsv"
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rows.count == 249)
        for row in rows {
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            let country = try Country(code: fields[0])
            #expect(country.continent.code == fields[5], "\(fields[0])")
        }
        let counts = Dictionary(grouping: Country.all, by: \.continent).mapValues(\.count)
        #expect(counts == [.africa: 58, .europe: 52, .asia: 51, .northAmerica: 41, .oceania: 28, .southAmerica: 14, .antarctica: 5])
    }

    @Test("Codes parse case-insensitively by alpha-2, alpha-3 and numeric")
    func parsing() throws {
        #expect(try Country(code: "de").alpha2 == "DE")
        #expect(try Country(code: "DEU").alpha2 == "DE")
        #expect(try Country(code: "276").alpha2 == "DE")
        #expect(try Country(code: "Gb").name == "United Kingdom")
        #expect(throws: CountryError(unknownCodes: ["QQ"])) { try Country(code: "QQ") }
        #expect(throws: CountryError(unknownCodes: ["EU"])) { try Country(code: "EU") }
        #expect(throws: CountryError(unknownCodes: ["XK"])) { try Country(code: "XK") }
    }

    @Test("A list with continents expands, keeps order, drops repeats and lists every unknown code")
    func lists() throws {
        let list = try Country.parseList(["fr", "@OC", "FR", " de "])
        #expect(list.first?.alpha2 == "FR")
        #expect(list.count == 1 + 28 + 1)
        #expect(list.last?.alpha2 == "DE")
        let error = #expect(throws: CountryError.self) { try Country.parseList(["DE", "QQ", "@XX", "zz"]) }
        #expect(error?.unknownCodes == ["QQ", "@XX", "zz"])
        #expect(error?.description.contains("'QQ'") == true)
    }

    @Test("Search ignores case and diacritics")
    func search() {
        #expect(Country.search("cote").map(\.alpha2) == ["CI"])
        #expect(Country.search("TÜRKI").map(\.alpha2) == ["TR"])
        #expect(Set(Country.search("korea").map(\.alpha2)) == ["KP", "KR"])
        #expect(Country.search("ÅLAND ISL").map(\.alpha2) == ["AX"])
        #expect(Country.search("deu").map(\.alpha2) == ["DE"])
        #expect(Country.search("no such place").isEmpty)
    }

    @Test("Pseudo-codes are recognised and never mapped to a country", arguments: ["EU", "AP", "XK", "ZZ", "A1", "A2", "O1", "??"])
    func pseudoCodes(code: String) throws {
        let region = try #require(RegionCode(dataCode: code.lowercased()))
        #expect(region.country == nil)
        #expect(region.kind == .pseudo(try #require(PseudoCode(rawValue: code))))
        #expect(region.code == code)
    }

    @Test("Other codes found in real feeds are neither countries nor pseudo-codes")
    func unrecognized() throws {
        for code in ["CS", "UK", "AN", "SU"] {
            #expect(try #require(RegionCode(dataCode: code)).kind == .unrecognized)
        }
        #expect(try #require(RegionCode(dataCode: "de")).country?.alpha2 == "DE")
        #expect(RegionCode(dataCode: "DEU") == nil)
        #expect(RegionCode(dataCode: "1A") == nil)
        #expect(try #require(RegionCode(dataCode: "o1")).code == "O1")
        #expect(RegionCode(dataCode: "") == nil)
    }
}
