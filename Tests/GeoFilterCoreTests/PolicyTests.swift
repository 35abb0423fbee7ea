import Foundation
import Testing

@testable import GeoFilterCore

@Suite("GeoPolicy")
struct PolicyTests {
    @Test("Continents with exceptions, countries, labels")
    func selections() throws {
        let policy = try GeoPolicy(mode: .blockSelected, countries: "@AF,-ZA,cn")
        #expect(policy.countries.count == 58 - 1 + 1)
        #expect(!policy.countries.contains(try Country(code: "ZA")))
        #expect(policy.countries.contains(try Country(code: "CN")))
        #expect(policy.selections.first?.description == "@AF except ZA")
    }

    @Test("A listed country that is also excepted is left out")
    func exceptedCountry() throws {
        #expect(try GeoPolicy(mode: .blockSelected, countries: "DE,FR,-DE").countries.map(\.alpha2) == ["FR"])
    }

    @Test("Every unknown code is listed")
    func unknownCodes() {
        let error = #expect(throws: GeoFilterError.self) { try GeoPolicy(mode: .blockSelected, countries: "DE,QQ,@XX,-ZZ") }
        #expect(error?.message.contains("'QQ'") == true && error?.message.contains("'@XX'") == true && error?.message.contains("'-ZZ'") == true)
    }

    @Test("Validation refuses what would be dangerous or malformed")
    func validation() throws {
        #expect(throws: GeoFilterError.self) { try GeoPolicy(mode: .allowOnlySelected, selections: []).validate() }
        var labelled = try GeoPolicy(mode: .blockSelected, countries: "CN")
        labelled.selections[0].label = "block \"cn\""
        #expect(throws: GeoFilterError.self) { try labelled.validate() }
        labelled.selections[0].label = "block-cn"
        try labelled.validate()
        var noDirection = labelled
        noDirection.directions = []
        #expect(throws: GeoFilterError.self) { try noDirection.validate() }
        let emptied = GeoPolicy(mode: .blockSelected, selections: [CountrySelection(.country(try Country(code: "CN")), except: [try Country(code: "CN")])])
        #expect(throws: GeoFilterError.self) { try emptied.validate() }
        #expect(throws: GeoFilterError.self) { try GeoPolicy(mode: .blockSelected, countries: "CN", trusted: ["10.0.0.1/8"]) }
    }

    @Test("Services become merged port rules")
    func services() throws {
        let scope = ServiceScope(rules: try ServiceScope.service("sip") + ServiceScope.service("rtp:10000-10100") + ServiceScope.service("udp:5061,10050-20000"))
        #expect(scope.description == "tcp 5060-5061; udp 5060-5061,10000-20000")
        #expect(scope.covers(.udp, port: 15_000) && !scope.covers(.tcp, port: 15_000) && !scope.covers(nil, port: nil))
        #expect(ServiceScope.allTraffic.covers(nil, port: nil))
        for bad in ["smtp", "tcp:0", "udp:9-3", "tcp:70000", "tcp:"] {
            #expect(throws: GeoFilterError.self, "\(bad)") { try ServiceScope.service(bad) }
        }
    }

    @Test("A policy round-trips through JSON")
    func codable() throws {
        var policy = try GeoPolicy(
            mode: .allowOnlySelected, countries: "@EU,-RU,US", trusted: ["192.168.0.0/16", "fd00::/8"], providers: ["203.0.113.7"],
            scope: ServiceScope(rules: try ServiceScope.service("sip")), directions: [.input, .forward])
        policy.selections[1].label = "usa"
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(GeoPolicy.self, from: data) == policy)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["trusted"] as? [String] == ["192.168.0.0/16", "fd00::/8"])
        #expect((object["selections"] as? [[String: Any]])?.first?["continent"] as? String == "EU")
        #expect((object["selections"] as? [[String: Any]])?.first?["except"] as? [String] == ["RU"])
        let written = #"{"mode":"blockSelected","selections":[{"country":"cn","label":"block-cn"},{"continent":"AF","except":["ZA"]}],"trusted":["10.0.0.0/8"],"providers":[],"scope":{"rules":[]},"directions":["input"],"enabled":true}"#
        let read = try JSONDecoder().decode(GeoPolicy.self, from: Data(written.utf8))
        #expect(read.countries.count == 58)
        #expect(read.label(of: try Country(code: "CN")) == "block-cn")
    }
}
