import Foundation
import GeoFilterTestSupport
import Testing

@Suite("geofilter-demo countries, lookup, info, snapshot")
struct DataCommandTests {
    @Test(
        "countries --json lists the 249 entries of Debian's iso-codes",
        .enabled(if: TestEnvironment.has(files: ["/usr/share/iso-codes/json/iso_3166-1.json"]), "needs iso-codes"))
    func countriesJSON() throws {
        let result = try DemoProcess.demo(["countries", "--json"])
        #expect(result.status == 0)
        let ours = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: String]])
        let data = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/iso-codes/json/iso_3166-1.json"))
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [[String: String]]])["3166-1"]
        #expect(ours.count == 249)
        let byCode = Dictionary(uniqueKeysWithValues: try #require(reference).map { ($0["alpha_2"]!, $0) })
        for entry in ours {
            let expected = try #require(byCode[entry["alpha2"] ?? ""])
            #expect(entry["alpha3"] == expected["alpha_3"])
            #expect(entry["numeric"] == expected["numeric"])
            #expect(entry["name"] == expected["name"])
            #expect(["AF", "AN", "AS", "EU", "NA", "OC", "SA"].contains(entry["continent"] ?? ""))
        }
    }

    @Test("countries --search and --continent filter; text is tab-separated")
    func countriesFilters() throws {
        let search = try DemoProcess.demo(["countries", "--search", "cote"])
        #expect(search.standardOutput == "CI\tCIV\t384\tCôte d'Ivoire\tAF\n")
        let oceania = try DemoProcess.demo(["countries", "--continent", "oc"])
        #expect(oceania.standardOutput.split(separator: "\n").count == 28)
        let both = try DemoProcess.demo(["countries", "--continent", "EU", "--search", "land"])
        #expect(both.standardOutput.split(separator: "\n").map { $0.prefix(2) } == ["AX", "CH", "FI", "FO", "IE", "IS", "NL", "PL"])
        let bad = try DemoProcess.demo(["countries", "--continent", "XX"])
        #expect(bad.status != 0 && bad.standardError.contains("'XX'"))
    }

    @Test("lookup prints IP, country and network; '-' for unknown; bad addresses fail before output")
    func lookup() throws {
        let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"
        let result = try DemoProcess.demo(["lookup", "--source", spec, "1.0.0.1", "1.0.2.200", "2001:2::5", "9.9.9.9", "::1"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "1.0.0.1\tAU\t1.0.0.0/24\n1.0.2.200\tCN\t1.0.2.0/23\n2001:2::5\tJP\t2001:2::/48\n9.9.9.9\t-\t-\n::1\t-\t-\n")
        let bad = try DemoProcess.demo(["lookup", "--source", spec, "1.0.0.1", "1.0.0.256"])
        #expect(bad.status != 0)
        #expect(bad.standardOutput.isEmpty)
        #expect(bad.standardError.contains("1.0.0.256"))
        let badSource = try DemoProcess.demo(["lookup", "--source", "dbip-csv:/nonexistent.csv", "1.0.0.1"])
        #expect(badSource.status != 0 && badSource.standardError.contains("/nonexistent.csv"))
    }

    @Test("Every SPEC form but mmdb works in lookup", arguments: [
        ("dbip-csv:dbip/dbip-country-lite-2026-11.csv.gz", "1.0.5.1", "AU"),
        ("geolite2-csv:geolite2/GeoLite2-Country-CSV_20261120", "203.0.113.70", "PH"),
        ("geolite2-csv:geolite2/GeoLite2-Country-CSV_20261120,registered", "198.51.100.200", "DE"),
        ("rir:rir/delegated-ripencc-extended-latest,rir/delegated-apnic-extended-latest", "46.175.80.1", "NL"),
        ("ipdeny:ipdeny", "2a02:8061::1", "AD"),
    ])
    func specForms(spec: String, address: String, code: String) throws {
        let kind = spec.prefix { $0 != ":" }
        let paths = spec.dropFirst(kind.count + 1).split(separator: ",").map { part in
            part == "registered" ? String(part) : TestEnvironment.fixture(String(part))
        }
        let result = try DemoProcess.demo(["lookup", "--source", "\(kind):" + paths.joined(separator: ","), address])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\t").dropFirst().first.map(String.init) == code)
    }

    @Test("A malformed row stops lookup with file, line and field; --lenient reports and goes on")
    func malformedSource() throws {
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("dbip.csv")
        try "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.x,CN\n".write(to: file, atomically: true, encoding: .utf8)
        let strict = try DemoProcess.demo(["lookup", "--source", "dbip-csv:\(file.path)", "1.0.0.1"])
        #expect(strict.status != 0)
        #expect(strict.standardError.contains("\(file.path):2 (field ip_end)"), "\(strict.standardError)")
        let lenient = try DemoProcess.demo(["info", "--lenient", "--source", "dbip-csv:\(file.path)"])
        #expect(lenient.status == 0)
        #expect(lenient.standardOutput.contains("skipped 1"))
    }

    @Test("The bundled database is the default and answers lookups")
    func bundledDefault() throws {
        let result = try DemoProcess.demo(["lookup", "2001:200::1", "1.0.0.1"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.split(separator: "\t").count == 3 && !$0.hasSuffix("\t-") })
        let info = try DemoProcess.demo(["info"])
        #expect(info.standardOutput.contains("IPFire Location") && info.standardOutput.contains("CC BY-SA 4.0"))
    }

    @Test("info warns when the data is older than --max-age days")
    func staleness() throws {
        let fresh = try DemoProcess.demo(["info", "--max-age", "100000"])
        #expect(fresh.status == 0 && !fresh.standardError.contains("warning"))
        #expect(fresh.standardOutput.contains("age:"))
        let stale = try DemoProcess.demo(["info", "--max-age", "1"])
        #expect(stale.status == 0 && stale.standardError.contains("older than 1 days"))
    }

    @Test(
        "The bundled database answers with no network and no tor-geoipdb (private mount and network namespaces)",
        .enabled(if: TestEnvironment.isCI || getuid() == 0, "needs root for unshare --mount --net"))
    func bundledOffline() throws {
        let unshare = try #require(TestEnvironment.which("unshare"), "unshare (util-linux) is not installed")
        // Hide /usr/share/tor under an empty tmpfs and cut every network, then look up.
        let script = """
            set -e
            mkdir -p /usr/share/tor && mount -t tmpfs none /usr/share/tor
            test ! -e /usr/share/tor/geoip
            test -z "$(ip -o addr show scope global 2>/dev/null)"
            exec "$0" lookup 1.0.0.1 2001:200::1
            """
        let result = try DemoProcess.run(unshare, ["--mount", "--net", "--", "/bin/sh", "-c", script, DemoProcess.executable.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\n").count == 2)
        #expect(!result.standardOutput.contains("\t-\t"))
    }

    @Test("snapshot writes a file that loads with the same answers")
    func snapshot() throws {
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("test.gfsnap").path
        let spec = "rir:\(TestEnvironment.fixture("rir/delegated-ripencc-extended-latest"))"
        let written = try DemoProcess.demo(["snapshot", "--source", spec, "--output", output])
        #expect(written.status == 0, "\(written.standardError)")
        let direct = try DemoProcess.demo(["lookup", "--source", spec, "46.175.80.1", "2001:db8::1", "8.8.8.8"])
        let viaSnapshot = try DemoProcess.demo(["lookup", "--source", "snapshot:\(output)", "46.175.80.1", "2001:db8::1", "8.8.8.8"])
        #expect(viaSnapshot.standardOutput == direct.standardOutput)
        #expect(direct.standardOutput.hasPrefix("46.175.80.1\tNL\t46.175.80.0/21\n"))
    }
}
