import Foundation
import Testing

@testable import GeoFilterCore

/// MaxMind's test databases (maxmind/MaxMind-DB, copied to ../shared/testdata).
private let maxmindData = TestPaths.sharedTestData + "/maxmind-MaxMind-DB"
private func testDB(_ name: String) -> String { maxmindData + "/test-data/" + name }
private let hasMaxMindData = TestPaths.available(maxmindData + "/test-data/GeoLite2-Country-Test.mmdb")

/// Every network the walk yields, as `network` text (IPv4 as a.b.c.d/len), with its data
/// offset.
private func walk(_ reader: MMDBReader) throws -> [(network: String, offset: Int)] {
    var result: [(String, Int)] = []
    try reader.walk { family, value, length, offset throws(GeoFilterError) in
        switch family {
        case .ipv4: result.append(("\(IPv4Address(UInt32(truncatingIfNeeded: value)))/\(length)", offset))
        case .ipv6: result.append(("\(IPv6Address(value))/\(length)", offset))
        }
    }
    return result
}

/// `::a.b.c.d/len` (len ≥ 96) as `a.b.c.d/(len-96)`, other networks canonical.
private func canonical(_ network: String) -> String {
    let parts = network.split(separator: "/")
    guard parts.count == 2, let length = Int(parts[1]), let address = try? IPv6Address(parsing: parts[0]) else { return network }
    // (source-data has one network with host bits set, 74.209.24.0/20; the writer masks it.)
    if length >= 96, address.value >> 32 == 0 {
        return IPNetwork(masking: IPv4Address(UInt32(truncatingIfNeeded: address.value)), prefixLength: length - 96).description
    }
    return IPNetwork(masking: address, prefixLength: length).description
}

@Suite("MaxMind DB reader", .enabled(if: hasMaxMindData, "needs ../shared/testdata/maxmind-MaxMind-DB beside the checkout"))
struct MMDBTests {
    static let ipv4Networks = ["1.1.1.1/32", "1.1.1.2/31", "1.1.1.4/30", "1.1.1.8/29", "1.1.1.16/28", "1.1.1.32/32"]
    static let ipv6Networks = ["::1:ffff:ffff/128", "::2:0:0/122", "::2:0:40/124", "::2:0:50/125", "::2:0:58/127"]

    @Test(
        "MaxMind-DB-test-{ipv4,ipv6,mixed}-{24,28,32}: record sizes, layouts, every network once",
        arguments: ["ipv4", "ipv6", "mixed"], [24, 28, 32])
    func recordSizes(layout: String, recordSize: Int) throws {
        let reader = try MMDBReader(path: testDB("MaxMind-DB-test-\(layout)-\(recordSize).mmdb"))
        #expect(reader.metadata.recordSize == recordSize)
        #expect(reader.metadata.ipVersion == (layout == "ipv4" ? 4 : 6))
        #expect(reader.metadata.databaseType == "Test")
        #expect(reader.metadata.languages == ["en", "zh"])
        let found = try walk(reader)
        let expected =
            switch layout {
            case "ipv4": Self.ipv4Networks
            case "ipv6": Self.ipv6Networks
            default: Self.ipv4Networks + Self.ipv6Networks
            }
        #expect(found.map(\.network).sorted() == expected.sorted())
        // Each record is {"ip": network address as the writer wrote it}.
        for (network, offset) in found {
            let value = try reader.data.decode(at: offset).value
            let ip = try #require(value["ip"]?.stringValue)
            #expect(canonical(ip + "/128").split(separator: "/")[0] == network.split(separator: "/")[0] || ip == String(network.split(separator: "/")[0]))
        }
        // Lookups: inside, outside, and (mixed) through the IPv4-mapped alias.
        let inside = try reader.lookup(IPv4Address(1, 1, 1, 3))
        if layout == "ipv6" {
            #expect(inside.dataOffset == nil)
        } else {
            #expect(inside.prefixLength == 31 && inside.dataOffset != nil)
            #expect(try reader.lookup(IPv4Address(1, 1, 1, 64)).dataOffset == nil)
        }
        if layout == "mixed" {
            let mapped = try #require(try reader.lookup(IPv6Address(parsing: "::ffff:1.1.1.3")))
            #expect(mapped.dataOffset == inside.dataOffset && mapped.prefixLength == 127)
            let sixToFour = try #require(try reader.lookup(IPv6Address(parsing: "2002:101:103::")))
            #expect(sixToFour.dataOffset == inside.dataOffset)
        }
        if layout != "ipv4" {
            let six = try #require(try reader.lookup(IPv6Address(parsing: "::2:0:41")))
            #expect(six.prefixLength == 124 && six.dataOffset != nil)
        } else {
            #expect(try reader.lookup(IPv6Address(parsing: "::1")) == nil)
        }
    }

    @Test("MaxMind-DB-test-decoder: every type decoded as documented")
    func decoder() throws {
        let reader = try MMDBReader(path: testDB("MaxMind-DB-test-decoder.mmdb"))
        let hit = try reader.lookup(IPv4Address(1, 1, 1, 0))
        let value = try reader.data.decode(at: try #require(hit.dataOffset)).value
        #expect(value["array"] == .array([.uint32(1), .uint32(2), .uint32(3)]))
        #expect(value["boolean"] == .boolean(true))
        #expect(value["bytes"] == .bytes([0, 0, 0, 42]))
        #expect(value["double"] == .double(42.123456))
        #expect(value["float"] == .float(1.1))
        #expect(value["int32"] == .int32(-268_435_456))
        #expect(value["map"]?["mapX"]?["arrayX"] == .array([.uint32(7), .uint32(8), .uint32(9)]))
        #expect(value["map"]?["mapX"]?["utf8_stringX"] == .string("hello"))
        #expect(value["uint16"] == .uint16(100))
        #expect(value["uint32"] == .uint32(268_435_456))
        #expect(value["uint64"] == .uint64(1_152_921_504_606_846_976))
        #expect(value["uint128"] == .uint128(1_329_227_995_784_915_872_903_807_060_280_344_576))
        #expect(value["utf8_string"] == .string("unicode! ☯ - ♫"))
        // The all-zero record: every type at its smallest.
        let zero = try reader.data.decode(at: try #require(try reader.lookup(IPv4Address(0, 0, 0, 0)).dataOffset)).value
        #expect(zero["uint128"] == .uint128(0) && zero["array"] == .array([]) && zero["boolean"] == .boolean(false))
        #expect(zero["utf8_string"] == .string("") && zero["map"] == .map([:]) && zero["double"] == .double(0))
        // Maxima.
        let max = try reader.data.decode(at: try #require(try reader.lookup(IPv4Address(255, 255, 255, 255)).dataOffset)).value
        #expect(max["uint128"] == .uint128(.max) && max["uint64"] == .uint64(.max) && max["uint32"] == .uint32(.max))
        #expect(max["int32"] == .int32(Int32.max) || max["int32"] == .int32(-1))
    }

    @Test("Pointer and metadata-pointer databases decode")
    func pointers() throws {
        for name in ["MaxMind-DB-test-pointer-decoder.mmdb", "MaxMind-DB-test-metadata-pointers.mmdb", "MaxMind-DB-test-nested.mmdb"] {
            let reader = try MMDBReader(path: testDB(name))
            for (_, offset) in try walk(reader) { _ = try reader.data.decode(at: offset) }
        }
        let meta = try MMDBReader(path: testDB("MaxMind-DB-test-metadata-pointers.mmdb")).metadata
        #expect(!meta.databaseType.isEmpty)
    }

    /// The expected (network, code) pairs of a source-data JSON file.
    static func expected(_ name: String, choice: GeoLite2CountryChoice) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: maxmindData + "/source-data/" + name))
        let list = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var result: [String] = []
        for entry in list {
            for (network, record) in entry {
                let record = record as? [String: Any] ?? [:]
                func iso(_ key: String) -> String? { (record[key] as? [String: Any])?["iso_code"] as? String }
                let code: String? =
                    switch choice {
                    case .located: iso("country") ?? iso("registered_country")
                    case .registered: iso("registered_country")
                    case .represented: iso("represented_country") ?? iso("country") ?? iso("registered_country")
                    }
                if let code { result.append("\(canonical(network)) \(code)") }
            }
        }
        return result.sorted()
    }

    @Test(
        "GeoLite2/GeoIP2 Country test databases: every network and country as in source-data",
        arguments: ["GeoLite2-Country-Test", "GeoIP2-Country-Test"], GeoLite2CountryChoice.allCases)
    func countryDatabases(name: String, choice: GeoLite2CountryChoice) throws {
        let reader = try MMDBReader(path: testDB(name + ".mmdb"))
        var found: [String] = []
        var ipv4 = Set<String>()
        var ipv4Count = 0
        for (network, offset) in try walk(reader) {
            if !network.contains(":") {
                ipv4Count += 1
                ipv4.insert(network)
            }
            if let code = try MMDBFormat.country(reader.data, at: offset, choice: choice) { found.append("\(network) \(code)") }
        }
        #expect(ipv4Count == ipv4.count, "an IPv4 network came out twice")
        let expected = try Self.expected(name + ".json", choice: choice)
        #expect(found.sorted() == expected)
        // The database built from the walk answers the same.
        let database = try GeoDatabase.load(.mmdb(path: testDB(name + ".mmdb"), country: choice))
        for line in expected {
            let parts = line.split(separator: " ")
            let network = try IPAnyNetwork(parsing: String(parts[0]))
            let first: IPAddress =
                switch network {
                case .v4(let n): .v4(n.address)
                case .v6(let n): .v6(n.address)
                }
            #expect(database.lookup(first)?.region.description == String(parts[1]), "\(line)")
        }
        #expect(database.provenance.sourceName.contains(name.replacingOccurrences(of: "-Test", with: "")))
        #expect(database.provenance.generatedAt == Int64(reader.metadata.buildEpoch))
    }

    @Test("Known records: represented and registered countries, continent-only and anycast-only networks")
    func knownRecords() throws {
        let path = testDB("GeoIP2-Country-Test.mmdb")
        let located = try GeoDatabase.load(.mmdb(path: path))
        let registered = try GeoDatabase.load(.mmdb(path: path, country: .registered))
        let represented = try GeoDatabase.load(.mmdb(path: path, country: .represented))
        let gb = IPAddress.v4(try IPv4Address(parsing: "81.2.69.165"))
        #expect(located.lookup(gb)?.region.description == "GB")
        #expect(registered.lookup(gb)?.region.description == "US")
        let military = IPAddress.v4(try IPv4Address(parsing: "202.196.224.1"))
        #expect(located.lookup(military)?.region.description == "PH")
        #expect(represented.lookup(military)?.region.description == "US")
        #expect(located.lookup(.v4(try IPv4Address(parsing: "214.1.1.1"))) == nil)
        #expect(located.report.ignoredRows > 0)
        let lite = try GeoDatabase.load(.mmdb(path: testDB("GeoLite2-Country-Test.mmdb")))
        #expect(lite.lookup(.v6(try IPv6Address(parsing: "2a02:d500::1"))) == nil)
    }

    @Test("Bare string records and City databases")
    func otherLayouts() throws {
        let strings = try GeoDatabase.load(.mmdb(path: testDB("MaxMind-DB-string-value-entries.mmdb")), options: .lenient)
        _ = strings.regions
        let city = try GeoDatabase.load(.mmdb(path: testDB("GeoIP2-City-Test.mmdb")))
        #expect(city.lookup(.v4(try IPv4Address(parsing: "81.2.69.165")))?.region.description == "GB")
        let noIPv4Tree = try GeoDatabase.load(.mmdb(path: testDB("MaxMind-DB-no-ipv4-search-tree.mmdb")), options: .lenient)
        _ = noIPv4Tree.regions
    }

    /// Loads a file every way a caller can touch it; returns the error, if any.
    static func exercise(_ path: String) -> GeoFilterError? {
        do {
            let reader = try MMDBReader(path: path)
            for (_, offset) in try walk(reader) {
                _ = try reader.data.decode(at: offset)
                _ = try MMDBFormat.country(reader.data, at: offset, choice: .represented)
            }
            for value in [0, 0x0101_0101, 0x7F00_0001, 0xFFFF_FFFF] as [UInt32] { _ = try reader.lookup(IPv4Address(value)) }
            _ = try reader.lookup(IPv6Address(1))
            _ = try GeoDatabase.load(.mmdb(path: path))
            return nil
        } catch let error as GeoFilterError {
            return error
        } catch {
            return GeoFilterError(.program, "unexpected \(error)")
        }
    }

    @Test("bad-data files give clear errors naming the file and byte offset, never a crash or hang")
    func badData() throws {
        let folder = maxmindData + "/bad-data"
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".mmdb") }.sorted()
        #expect(files.count >= 20)
        // Valid for a reader that handles them (they broke some reader once); the corrupt
        // search tree's bad nodes are unreachable (libmaxminddb and maxminddb read it too).
        let benign: Set<String> = [
            "libmaxminddb-corrupt-search-tree.mmdb",
            "libmaxminddb-empty-array-last-in-metadata.mmdb", "libmaxminddb-empty-map-last-in-metadata.mmdb",
            "libmaxminddb-uint64-max-epoch.mmdb",
        ]
        for file in files {
            let name = String(file.split(separator: "/").last!)
            let error = Self.exercise(folder + "/" + file)
            if benign.contains(name) {
                #expect(error == nil, "\(name): \(String(describing: error))")
            } else {
                let error = try #require(error, "\(name) was accepted")
                #expect(error.code == .invalidInput, "\(name): \(error)")
                #expect(error.location?.path == folder + "/" + file)
                #expect(error.message.contains("byte "), "\(name): \(error)")
            }
        }
        for name in ["GeoIP2-City-Test-Invalid-Node-Count.mmdb", "GeoIP2-City-Test-Broken-Double-Format.mmdb",
            "MaxMind-DB-test-broken-pointers-24.mmdb", "MaxMind-DB-test-broken-search-tree-24.mmdb"]
        {
            let error = try #require(Self.exercise(testDB(name)), "\(name) was accepted")
            #expect(error.code == .invalidInput, "\(name): \(error)")
        }
    }

    @Test("Truncated and bit-flipped files: an error or a database, never a crash", arguments: propertySeeds)
    func mutations(seed: UInt64) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: testDB("GeoIP2-Country-Test.mmdb"))))
        var generator = SeededGenerator(seed: seed)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-mmdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mutated.mmdb").path
        for round in 0..<150 {
            var bytes = original
            if round < 30 {
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &generator))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            if let error = Self.exercise(path) {
                #expect(error.code == .invalidInput || error.code == .limitExceeded, "seed \(seed) round \(round): \(error)")
                #expect(error.location?.path == path)
            }
        }
    }

    @Test("Hand-made pointer cycles, deep chains, loops in the tree and oversized counts are refused")
    func handMade() throws {
        // A map whose value points back at the map itself: {"country": <pointer to 0>}.
        let cycle = MiniMMDB.encodeMap([("country", [0x20, 0x00])])
        #expect(Self.exercise(try MiniMMDB.file(data: cycle)) != nil)
        // country.iso_code through a map that points to itself under "iso_code".
        let selfMap = [UInt8(0xE1)] + MiniMMDB.string("iso_code") + [0x20, 0x00]
        let nested = MiniMMDB.encodeMap([("country", [0x20, 0x00])]) + selfMap
        _ = Self.exercise(try MiniMMDB.file(data: nested))
        // A tree whose node 0 points to itself on both sides (a loop).
        let loop = try MiniMMDB.file(data: MiniMMDB.encodeMap([("country_code", MiniMMDB.string("DE"))]), records: [(0, 0)])
        let loopError = try #require(Self.exercise(loop))
        #expect(loopError.message.contains("visits more") || loopError.message.contains("deeper"), "\(loopError)")
        // A node count that does not fit the file.
        let huge = try MiniMMDB.file(data: MiniMMDB.string("DE"), nodeCount: 100_000_000)
        let hugeError = try #require(Self.exercise(huge))
        #expect(hugeError.message.contains("node_count"), "\(hugeError)")
        // A map claiming 2^24 entries in a few bytes.
        let oversized = try MiniMMDB.file(data: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Self.exercise(oversized) != nil)
        // A valid hand-made file: {"country_code": "DE"} on both halves of IPv4.
        let good = try MiniMMDB.file(data: MiniMMDB.encodeMap([("country_code", MiniMMDB.string("DE"))]))
        #expect(Self.exercise(good) == nil)
        let database = try GeoDatabase.load(.mmdb(path: good))
        #expect(database.lookup(.v4(IPv4Address(1, 2, 3, 4)))?.region.description == "DE")
        // Exponential expansion: each level is an array of two pointers to the level below.
        // The record at offset 0 is a pointer to the top array (fixed up below); below it "x".
        var shifted: [UInt8] = [0x20, 0x00]
        shifted += MiniMMDB.string("x")
        var levels: [Int] = [2]
        for _ in 0..<40 {
            let below = levels.last!
            levels.append(shifted.count)
            shifted += [0x02, 0x04, 0x20 | UInt8(below >> 8), UInt8(below & 0xFF), 0x20 | UInt8(below >> 8), UInt8(below & 0xFF)]
        }
        shifted[0] = 0x20 | UInt8(levels.last! >> 8)
        shifted[1] = UInt8(levels.last! & 0xFF)
        let bombError = try #require(Self.exercise(try MiniMMDB.file(data: shifted)))
        #expect(bombError.message.contains("expands") || bombError.message.contains("pointer"), "\(bombError)")
    }

    @Test("2,048 distinct records that all point into one 60,000-entry map: an error, not quadratic work")
    func sharedLargeMap() throws {
        var data = MiniMMDB.string("k")  // offset 0: the one key
        let big = data.count
        data += [0xFE, UInt8((60_000 - 285) >> 8), UInt8((60_000 - 285) & 0xFF)]  // map of 60,000 entries
        for _ in 0..<60_000 { data += [0x20, 0x00, 0x00, 0x07] }  // "k" (pointer): false
        var records: [Int] = []
        for _ in 0..<2048 {
            records.append(data.count)
            data += [0xE1] + MiniMMDB.string("country") + [0x20, UInt8(big)]  // {"country": <pointer to the big map>}
        }
        // A full binary tree of depth 11: node i's children are 2i+1 and 2i+2; the last level points at the records.
        var nodes: [(Int, Int)] = []
        for index in 0..<2047 {
            if index < 1023 {
                nodes.append((2 * index + 1, 2 * index + 2))
            } else {
                let leaf = 2 * (index - 1023)
                nodes.append((-1 - records[leaf], -1 - records[leaf + 1]))
            }
        }
        let path = try MiniMMDB.file(data: data, records: nodes)
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: GeoFilterError.self) { try GeoDatabase.load(.mmdb(path: path)) }
        #expect(error?.message.contains("too much work") == true, "\(String(describing: error))")
        #expect(clock.now - start < .seconds(30))
    }
}

/// Writes tiny MaxMind DB files by hand (24-bit records, IPv4 tree).
enum MiniMMDB {
    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        precondition(bytes.count < 29)
        return [0x40 | UInt8(bytes.count)] + bytes
    }

    static func uint(_ value: UInt32, type: UInt8 = 6) -> [UInt8] {
        if type == 5 { return [type << 5 | 2, UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        return [type << 5 | 4, UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func encodeMap(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var result: [UInt8] = [0xE0 | UInt8(entries.count)]
        for (key, value) in entries { result += string(key) + value }
        return result
    }

    /// A file: `records` (left, right) per node, where -1 - n means "the data record at offset n";
    /// default one node with both halves pointing at it.
    static func file(data: [UInt8], records: [(Int, Int)]? = nil, nodeCount: Int? = nil) throws -> String {
        let nodes = records ?? [(-1, -1)]
        let count = nodes.count
        var bytes: [UInt8] = []
        for (left, right) in nodes {
            for value in [left, right] {
                let v = value < 0 ? count + 16 + (-value - 1) : value
                bytes += [UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
            }
        }
        bytes += [UInt8](repeating: 0, count: 16) + data
        bytes += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        let metadata = encodeMap([
            ("node_count", uint(UInt32(nodeCount ?? count))), ("record_size", uint(24, type: 5)),
            ("ip_version", uint(4, type: 5)), ("database_type", string("Hand")),
            ("binary_format_major_version", uint(2, type: 5)), ("binary_format_minor_version", uint(0, type: 5)),
            ("build_epoch", [0x02, 0x02, 0x00, 0x01] /* uint64 (extended type 9) of 2 bytes: 1 */),
        ])
        bytes += metadata
        let path = try TestPaths.temporaryFile("", name: "hand.mmdb")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
