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

    @Test("A policy that selects no country is refused; disabling it is the way to filter nothing", arguments: ["", ",,,", "-CN", " , -DE"])
    func emptySelection(countries: String) throws {
        for mode in [GeoPolicy.Mode.blockSelected, .allowOnlySelected] {
            var policy = try GeoPolicy(mode: mode, countries: countries)
            let error = #expect(throws: GeoFilterError.self) { try policy.validate() }
            #expect(error?.code == .invalidInput)
            policy.enabled = false
            try policy.validate()
        }
    }

    @Test("Trusted and provider networks covering half of a family need an explicit yes", arguments: [
        (["0.0.0.0/0"], [String]()), (["::/0"], []), (["0.0.0.0/1"], []), (["10.0.0.0/8"], ["128.0.0.0/1"]),
        (["::/2", "4000::/2"], []), (["0.0.0.0/2", "64.0.0.0/2"], ["192.168.0.0/16"]),
    ])
    func broadExemptions(trusted: [String], providers: [String]) throws {
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", trusted: trusted, providers: providers)
        let error = #expect(throws: GeoFilterError.self) { try policy.validate() }
        #expect(error?.message.contains("half or more") == true, "\(String(describing: error))")
        try policy.validate(allowBroadExemptions: true)
    }

    @Test("Networks short of half a family pass", arguments: [["0.0.0.0/2", "128.0.0.0/3"], ["::/2"], ["10.0.0.0/8", "2001:db8::/32"]])
    func narrowEnough(trusted: [String]) throws {
        try GeoPolicy(mode: .blockSelected, countries: "CN", trusted: trusted).validate()
    }

    @Test("Scopes read from a file are normalised; port 0 is refused")
    func scopeFromFile() throws {
        var entries = Array(repeating: "[5060,5060]", count: 300)
        entries.append("[5061,5070]")
        let json = #"{"mode":"blockSelected","selections":[{"country":"CN"}],"trusted":[],"providers":[],"scope":{"rules":["#
            + #"{"transport":"udp","ports":["# + entries.joined(separator: ",") + #"]},{"transport":"udp","ports":[[10,20]]}]},"#
            + #""directions":["input"],"enabled":true}"#
        let policy = try JSONDecoder().decode(GeoPolicy.self, from: Data(json.utf8))
        #expect(policy.scope.rules == [PortRule(.udp, [10...20, 5060...5070])])
        try policy.validate()
        let zero = json.replacingOccurrences(of: "[10,20]", with: "[0,20]")
        let withZero = try JSONDecoder().decode(GeoPolicy.self, from: Data(zero.utf8))
        let error = #expect(throws: GeoFilterError.self) { try withZero.validate() }
        #expect(error?.message.contains("port range 0-20") == true)
    }

    @Test("Policy files must be regular files of bounded size, and their errors name the file")
    func policyFiles() throws {
        for (path, phrase) in [("/dev/zero", "a character device"), ("/tmp", "a directory")] {
            let error = #expect(throws: GeoFilterError.self) { try GeoPolicy.load(path: path) }
            #expect(error?.code == .file && error?.description.contains("\(path): is not a regular file (\(phrase))") == true)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-policy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(mkfifo(folder + "/fifo", 0o600) == 0)
        let fifo = #expect(throws: GeoFilterError.self) { try GeoPolicy.load(path: folder + "/fifo") }
        #expect(fifo?.message.contains("a FIFO") == true)
        #expect(FileManager.default.createFile(atPath: folder + "/huge.json", contents: nil))
        #expect(truncate(folder + "/huge.json", 2 << 30) == 0)
        let huge = #expect(throws: GeoFilterError.self) { try GeoPolicy.load(path: folder + "/huge.json") }
        #expect(huge?.code == .limitExceeded)
        try #"{"mode":"blockSelected","selections":[{"country":"QQ"}]}"#.write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        let bad = #expect(throws: GeoFilterError.self) { try GeoPolicy.load(path: folder + "/bad.json") }
        #expect(bad?.code == .invalidInput && bad?.description.hasPrefix(folder + "/bad.json: not a valid policy") == true, "\(String(describing: bad))")
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN,RU")
        try JSONEncoder().encode(policy).write(to: URL(fileURLWithPath: folder + "/good.json"))
        #expect(try GeoPolicy.load(path: folder + "/good.json") == policy)
    }
}

@Suite struct ErrorTextTests {
    @Test("Control characters from input are escaped when an error is printed")
    func controlCharacters() {
        let error = GeoFilterError(
            .invalidInput, "'\u{1B}[31mred\u{0}' is not a country", location: .init(path: "bad\u{7}name.csv", line: 3))
        #expect(error.description == #"bad\u{7}name.csv:3: '\u{1B}[31mred\u{0}' is not a country"#)
        #expect(GeoFilterError(.file, "plain text: é ü").description == "plain text: é ü")
        #expect(GeoFilterError(.file, "c1 \u{85} del \u{7F}").description == #"c1 \u{85} del \u{7F}"#)
    }
}
