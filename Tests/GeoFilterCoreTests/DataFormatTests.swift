import Foundation
import Testing

@testable import GeoFilterCore

/// The ranges of one region code, as text.
private func ranges(_ database: GeoDatabase, _ code: String) -> [String] {
    guard let region = RegionCode(dataCode: code) else { return ["bad code \(code)"] }
    return database.addresses(of: region).listText(style: .ranges).split(separator: "\n").map(String.init)
}

private func networks(_ database: GeoDatabase, _ code: String) -> [String] {
    guard let region = RegionCode(dataCode: code) else { return ["bad code \(code)"] }
    return database.addresses(of: region).listText(style: .networks).split(separator: "\n").map(String.init)
}

@Suite("Data formats: fixtures parse to the expected sets")
struct DataFormatTests {
    @Test("DB-IP Lite CSV, plain and gzip", arguments: ["dbip/dbip-country-lite-2026-11.csv", "dbip/dbip-country-lite-2026-11.csv.gz"])
    func dbip(file: String) throws {
        let database = try GeoDatabase.load(.dbipCSV(path: TestPaths.fixture(file)))
        #expect(ranges(database, "AU") == ["1.0.0.0-1.0.0.255", "1.0.4.0-1.0.7.255"])
        #expect(ranges(database, "CN") == ["1.0.1.0-1.0.3.255"])
        #expect(ranges(database, "DE") == ["192.0.2.0-192.0.2.9", "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"])
        #expect(networks(database, "FR") == ["192.0.2.10/31", "192.0.2.12/30", "192.0.2.16/28", "192.0.2.32/27", "192.0.2.64/26", "192.0.2.128/25", "2001:db9::/48"])
        #expect(ranges(database, "ZZ") == ["0.0.0.0-0.255.255.255", "::-1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"])
        #expect(database.countries.map(\.alpha2) == ["AU", "CN", "DE", "FR"])
        #expect(database.provenance.version == "2026-11")
        #expect(database.provenance.licence == "CC BY 4.0")
        #expect(database.report.rows == 9)
    }

    @Test("GeoLite2 Country CSV: located, registered and represented countries")
    func geoLite2() throws {
        let directory = TestPaths.fixture("geolite2/GeoLite2-Country-CSV_20261120")
        let located = try GeoDatabase.load(.geoLite2CSV(directory: directory, country: .located))
        #expect(networks(located, "DE") == ["198.51.100.0/25", "2001:db8::/48", "2001:db8:2::/47", "2001:db8:4::/46", "2001:db8:8::/45",
            "2001:db8:10::/44", "2001:db8:20::/43", "2001:db8:40::/42", "2001:db8:80::/41", "2001:db8:100::/40", "2001:db8:200::/39",
            "2001:db8:400::/38", "2001:db8:800::/37", "2001:db8:1000::/36", "2001:db8:2000::/35", "2001:db8:4000::/34", "2001:db8:8000::/33"])
        #expect(networks(located, "US") == ["198.51.100.128/25", "203.0.113.0/26", "2001:db8:1::/48"])
        #expect(networks(located, "PH") == ["203.0.113.64/26"])
        #expect(networks(located, "RW") == ["192.0.2.0/24"])
        #expect(located.report.ignoredRows == 2)  // continent-only locations (Asia, Europe)
        #expect(located.report.flaggedRows == ["is_anycast": 1, "is_satellite_provider": 1])
        #expect(located.report.conflictingRows == 1)  // 2001:db8:1::/48 inside 2001:db8::/32
        #expect(located.provenance.version == "2026-11-20")

        let registered = try GeoDatabase.load(.geoLite2CSV(directory: directory, country: .registered))
        #expect(networks(registered, "DE").prefix(1) == ["198.51.100.0/24"])
        #expect(networks(registered, "PH") == ["203.0.113.64/26"])
        let represented = try GeoDatabase.load(.geoLite2CSV(directory: directory, country: .represented))
        #expect(networks(represented, "US").contains("203.0.113.0/25"))
        #expect(networks(represented, "PH").isEmpty)
    }

    @Test("RIR delegated-extended: counts that are not powers of two, IPv6 lengths, statuses")
    func rir() throws {
        let database = try GeoDatabase.load(.rir(paths: [
            TestPaths.fixture("rir/delegated-ripencc-extended-latest"), TestPaths.fixture("rir/delegated-apnic-extended-latest"),
        ]))
        #expect(networks(database, "EU") == ["2.16.0.0/13"])
        #expect(ranges(database, "NL") == ["46.175.64.0-46.175.87.255"])
        #expect(networks(database, "NL") == ["46.175.64.0/20", "46.175.80.0/21"])
        #expect(networks(database, "DE") == ["198.51.100.0/24", "2001:db8::/32"])
        #expect(networks(database, "AU") == ["1.0.0.0/24"])
        #expect(networks(database, "AP") == ["192.0.2.0/25"])
        #expect(networks(database, "JP") == ["2001:200::/35"])
        #expect(database.report.ignoredRows == 5)  // asn, available, reserved
        #expect(database.provenance.version == "2013-04-18")
        #expect(database.lookup(try IPAddress(parsing: "85.8.248.1")) == nil)  // available, not a country
    }

    @Test("ipdeny zone directories, IPv4 and IPv6, unsorted, no final newline")
    func ipdeny() throws {
        let database = try GeoDatabase.load(.ipdeny(directory: TestPaths.fixture("ipdeny")))
        #expect(networks(database, "AD") == ["46.172.224.0/19", "80.80.84.0/22", "85.94.160.0/19", "2a02:8060::/31"])
        #expect(networks(database, "CH") == ["192.0.2.0/24"])
        #expect(networks(database, "EU") == ["2001:5::/32", "2a0a:1080::/29"])
        #expect(database.regions.map(\.code) == ["AD", "CH", "EU"])
    }

    @Test("IPFire / Tor range files: integers, quoted legacy rows, pseudo-codes, header")
    func ipfire() throws {
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        #expect(ranges(database, "AU") == ["1.0.0.0-1.0.0.255", "1.0.4.0-1.0.7.255"])
        #expect(ranges(database, "CN") == ["1.0.1.0-1.0.3.255"])
        #expect(ranges(database, "US") == ["2.0.0.0-2.2.255.255", "2001:4:112::-2001:4:112:ffff:ffff:ffff:ffff:ffff"])
        #expect(ranges(database, "EU") == ["2.16.0.0-2.16.5.255"])
        #expect(ranges(database, "??") == ["0.239.249.144-0.239.249.151", "2001::-2001:0:ffff:ffff:ffff:ffff:ffff:ffff"])
        #expect(networks(database, "JP") == ["2001:2::/48"])
        #expect(database.provenance.version == "2026-06-25")
        #expect(database.provenance.licence == "CC BY-SA 4.0")
        #expect(database.provenance.generatedAt == 1_782_362_039)  // Thu, 25 Jun 2026 04:33:59 GMT
    }

    @Test("Overlapping rows that disagree are reported; the more specific row wins")
    func conflicts() throws {
        let path = try TestPaths.temporaryFile(
            """
            167772160,167837695,DE
            167772416,167772671,FR
            167772416,167772671,FR
            167837696,167837951,NL
            167837696,167837951,BE
            """)
        let database = try GeoDatabase.load(.ipfire(ipv4: path, ipv6: nil))
        #expect(ranges(database, "FR") == ["10.0.1.0-10.0.1.255"])
        #expect(ranges(database, "DE") == ["10.0.0.0-10.0.0.255", "10.0.2.0-10.0.255.255"])
        #expect(ranges(database, "BE") == ["10.1.0.0-10.1.0.255"])  // equal size: the later row wins
        #expect(ranges(database, "NL").isEmpty)
        #expect(database.report.conflictingRows == 3)  // lines 2 and 3 overlap DE, line 5 overlaps NL
        #expect(database.report.duplicateRows == 1)
        let example = try #require(database.report.conflictExamples.first)
        #expect(example.location.line == 2)
        #expect(example.message.contains("\(path):1"))
    }
}

@Suite("Data formats: malformed rows")
struct MalformedRowTests {
    /// (source maker, content, line, field, a phrase of the message)
    static let cases: [(String, String, Int?, String?, String)] = [
        ("dbip", "1.0.0.0,1.0.0.255,AU\n1.2.3.4,1.2.3.5\n", 2, nil, "expected 3 fields"),
        ("dbip", "1.2.3.4,1.2.3.300,DE\n", 1, "ip_end", "not an IP address"),
        ("dbip", "1.2.3.5,1.2.3.4,DE\n", 1, "ip_end", "ends before it starts"),
        ("dbip", "1.2.3.4,::1,DE\n", 1, "ip_end", "different families"),
        ("dbip", "1.2.3.4,1.2.3.5,DEU\n", 1, "country", "not a two-letter country code"),
        ("dbip", "\"1.2.3.4,1.2.3.5,DE\n", 1, nil, "quoted field is not closed"),
        ("ipfire", "# c\n16777216,abc,AU\n", 2, "high", "not an address"),
        ("ipfire", "1,2\n", 1, nil, "expected LOW,HIGH,COUNTRY"),
        ("ipfire", "5,4,AU\n", 1, "high", "ends before it starts"),
        ("ipfire", "16777216,16777471,A\n", 1, "country", "not a two-letter country code"),
        ("ipfire", "4294967296,4294967297,US\n", 1, "low", "not an address"),
        ("rir", "apnic|AU|ipv4|1.0.0.0|256|20110811|assigned\n", 1, nil, "version line"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|DE|ipv4|1.2.3.0|0|20010101|assigned\n", 2, "value", "address count"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|DE|ipv4|255.255.255.0|512|20010101|assigned\n", 2, "value", "address count"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|DE|ipv6|2001:db8::1|32|20010101|allocated\n", 2, "start", "beyond the prefix length"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|DE|ipv6|2001:db8::|129|20010101|allocated\n", 2, "value", "prefix length"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|DE|ipv5|1.2.3.0|256|20010101|allocated\n", 2, "type", "record type"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|D|ipv4|1.2.3.0|256|20010101|allocated\n", 2, "cc", "country code"),
        ("rir", "2|ripencc|1|1|19830705|20130418|+0200\nripencc|DE|ipv4|1.2.3.0|256\n", 2, nil, "7 to 9"),
        ("rir", "2|ripencc|1|3|19830705|20130418|+0200\nripencc|DE|ipv4|1.2.3.0|256|20010101|allocated\n", nil, nil, "truncated"),
        ("ipdeny", "10.0.0.0/8\n10.0.0.1/8\n", 2, nil, "beyond the prefix length"),
        ("ipdeny", "1.2.3.4-1.2.3.5\n", 1, nil, "one CIDR per line"),
        ("ipdeny", "<html>\n", 1, nil, "not valid"),
    ]

    private static func source(_ kind: String, _ content: String) throws -> (DataSource, String) {
        switch kind {
        case "dbip":
            let path = try TestPaths.temporaryFile(content, name: "dbip.csv")
            return (.dbipCSV(path: path), path)
        case "ipfire":
            let path = try TestPaths.temporaryFile(content, name: "geoip")
            return (.ipfire(ipv4: path, ipv6: nil), path)
        case "rir":
            let path = try TestPaths.temporaryFile(content, name: "delegated")
            return (.rir(paths: [path]), path)
        default:
            let path = try TestPaths.temporaryFile(content, name: "de.zone")
            return (.ipdeny(directory: (path as NSString).deletingLastPathComponent), path)
        }
    }

    @Test("Each kind of malformed row gives its error with file, line and field", arguments: cases)
    func strict(kind: String, content: String, line: Int?, field: String?, phrase: String) throws {
        let (source, path) = try Self.source(kind, content)
        let error = #expect(throws: GeoFilterError.self) { try GeoDatabase.load(source) }
        #expect(error?.code == .invalidInput)
        #expect(error?.location?.path == path)
        #expect(error?.location?.line == line)
        #expect(error?.location?.field == field)
        #expect(error?.message.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("Lenient mode skips and counts malformed rows and keeps the good ones")
    func lenient() throws {
        let path = try TestPaths.temporaryFile("1.0.0.0,1.0.0.255,AU\n1.2.3.4,1.2.3.5\n1.0.1.0,1.0.1.255,CN\nx,y,DE\n")
        let database = try GeoDatabase.load(.dbipCSV(path: path), options: .lenient)
        #expect(database.report.skippedRows == 2)
        #expect(database.report.skippedExamples.map(\.location.line) == [2, 4])
        #expect(database.countries.map(\.alpha2) == ["AU", "CN"])
    }

    @Test("Row and decompression limits bound memory on hostile input")
    func limits() throws {
        let path = try TestPaths.temporaryFile(String(repeating: "1.0.0.0,1.0.0.255,AU\n", count: 50))
        let error = #expect(throws: GeoFilterError.self) {
            try GeoDatabase.load(.dbipCSV(path: path), options: ParseOptions(maximumRows: 10))
        }
        #expect(error?.code == .limitExceeded)
        #expect(error?.location?.line == 11)
        let long = try TestPaths.temporaryFile("1.0.0.0," + String(repeating: "9", count: 70_000) + ",AU\n")
        #expect(throws: GeoFilterError.self) { try GeoDatabase.load(.dbipCSV(path: long)) }
        let gzip = TestPaths.fixture("dbip/dbip-country-lite-2026-11.csv.gz")
        let bomb = #expect(throws: GeoFilterError.self) {
            try GeoDatabase.load(.dbipCSV(path: gzip), options: ParseOptions(maximumDecompressedBytes: 100))
        }
        #expect(bomb?.code == .limitExceeded)
    }

    @Test("A truncated gzip file is an error naming it")
    func truncatedGzip() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("dbip/dbip-country-lite-2026-11.csv.gz")))
        let path = try TestPaths.temporaryFile("", name: "cut.csv.gz")
        try bytes.prefix(bytes.count - 12).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: GeoFilterError.self) { try GeoDatabase.load(.dbipCSV(path: path)) }
        #expect(error?.location?.path == path)
    }

    @Test("SPEC strings name every source form")
    func specs() throws {
        #expect(try DataSource(spec: "bundled") == .bundled)
        #expect(try DataSource(spec: "ipfire:/a,/b") == .ipfire(ipv4: "/a", ipv6: "/b"))
        #expect(try DataSource(spec: "rir:/a,/b,/c") == .rir(paths: ["/a", "/b", "/c"]))
        #expect(try DataSource(spec: "geolite2-csv:/d,registered") == .geoLite2CSV(directory: "/d", country: .registered))
        #expect(try DataSource(spec: "dbip-csv:/x.csv.gz").description == "dbip-csv:/x.csv.gz")
        #expect(throws: GeoFilterError.self) { try DataSource(spec: "nonsense") }
        #expect(throws: GeoFilterError.self) { try DataSource(spec: "ipfire:") }
        #expect(try DataSource(spec: "mmdb:/x.mmdb") == .mmdb(path: "/x.mmdb"))
    }
}
