import Foundation
import GeoFilterTestSupport
import GeoFilterBundledData
import Testing

@testable import GeoFilterCore

/// An independent reference for Tor/IPFire files: rows parsed with plain string splitting,
/// looked up by binary search over the sorted rows.
private struct ReferenceTable<V: FixedWidthInteger & UnsignedInteger> {
    var lows: [V] = []
    var highs: [V] = []
    var codes: [String] = []

    func code(of value: V) -> String? {
        var lower = 0
        var upper = lows.count
        while lower < upper {
            let middle = (lower + upper) / 2
            if lows[middle] <= value { lower = middle + 1 } else { upper = middle }
        }
        return lower > 0 && value <= highs[lower - 1] ? codes[lower - 1] : nil
    }
}

/// IPv6 text to integer through glibc, independent of GeoFilter's parser.
private func glibcIPv6(_ text: Substring) -> UInt128? {
    var address = in6_addr()
    guard inet_pton(AF_INET6, String(text), &address) == 1 else { return nil }
    return withUnsafeBytes(of: address) { raw in raw.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
}

@Suite("GeoDatabase lookups")
struct GeoDatabaseTests {
    static let torAvailable = TestPaths.available("/usr/share/tor/geoip", "/usr/share/tor/geoip6")

    @Test(
        "100k random IPv4 and IPv6 lookups agree with an independent reference built from the Tor files",
        .enabled(if: torAvailable, "needs tor-geoipdb (apt-get install tor-geoipdb)"))
    func agreesWithReference() throws {
        var table4 = ReferenceTable<UInt32>()
        for line in try String(contentsOfFile: "/usr/share/tor/geoip", encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ",")
            table4.lows.append(try #require(UInt32(fields[0])))
            table4.highs.append(try #require(UInt32(fields[1])))
            table4.codes.append(String(fields[2]))
        }
        var table6 = ReferenceTable<UInt128>()
        for line in try String(contentsOfFile: "/usr/share/tor/geoip6", encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ",")
            table6.lows.append(try #require(glibcIPv6(fields[0])))
            table6.highs.append(try #require(glibcIPv6(fields[1])))
            table6.codes.append(String(fields[2]))
        }
        #expect(table4.lows.count > 300_000 && table6.lows.count > 200_000)
        let database = try GeoDatabase.load(.ipfire(ipv4: "/usr/share/tor/geoip", ipv6: "/usr/share/tor/geoip6"))

        var rng = SeededGenerator(seed: UInt64.random(in: 0...UInt64.max))
        var mismatches: [String] = []
        for index in 0..<100_000 {
            // Half uniform, half at or next to a row boundary, where mistakes hide.
            let row = Int.random(in: 0..<table4.lows.count, using: &rng)
            let v4: UInt32 =
                index % 2 == 0 ? UInt32.random(in: 0...UInt32.max, using: &rng)
                : [table4.lows[row], table4.highs[row], table4.lows[row] &- 1, table4.highs[row] &+ 1].randomElement(using: &rng)!
            if database.region(of: IPv4Address(v4))?.code != table4.code(of: v4) { mismatches.append(IPv4Address(v4).description) }

            let row6 = Int.random(in: 0..<table6.lows.count, using: &rng)
            let v6: UInt128 =
                switch index % 3 {
                case 0: UInt128(0x2000) << 112 | UInt128.random(using: &rng) >> 3  // 2000::/3, where the data is
                case 1: UInt128.random(using: &rng)
                default: [table6.lows[row6], table6.highs[row6], table6.lows[row6] &- 1, table6.highs[row6] &+ 1].randomElement(using: &rng)!
                }
            if database.region(of: IPv6Address(v6))?.code != table6.code(of: v6) { mismatches.append(IPv6Address(v6).description) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test("The network around an address is the largest prefix with the same answer")
    func networkAround() throws {
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        // 1.0.0.0/24 is AU, 1.0.1.0-1.0.3.255 CN, 1.0.4.0-1.0.7.255 AU.
        #expect(database.lookup(try IPAddress(parsing: "1.0.0.77"))?.network.description == "1.0.0.0/24")
        #expect(database.lookup(try IPAddress(parsing: "1.0.1.9"))?.network.description == "1.0.1.0/24")
        #expect(database.lookup(try IPAddress(parsing: "1.0.2.9"))?.network.description == "1.0.2.0/23")
        #expect(database.lookup(try IPAddress(parsing: "1.0.6.1"))?.region.code == "AU")
        #expect(database.lookup(try IPAddress(parsing: "2001:2::1"))?.network.description == "2001:2::/48")
        #expect(database.lookup(try IPAddress(parsing: "9.9.9.9")) == nil)
        #expect(database.network(around: try IPAddress(parsing: "9.9.9.9")).description == "8.0.0.0/5")

        // Property: every address of the returned network has the same region, and the
        // network one bit shorter does not.
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<2_000 {
            let address = IPv4Address(UInt32.random(in: 0x0000_0000...0x0300_0000, using: &rng))
            guard case .v4(let network) = database.network(around: .v4(address)) else { Issue.record("family"); continue }
            let expected = database.region(of: address)
            for probe in [network.address, network.lastAddress, IPv4Address(UInt32.random(in: network.address.value...network.lastAddress.value, using: &rng))] {
                #expect(database.region(of: probe) == expected)
            }
            if network.prefixLength > 0 {
                // The other half of the next wider network must not be uniformly the same answer.
                let siblingAddress = IPv4Address(network.address.value ^ (UInt32(1) << (32 - network.prefixLength)))
                guard case .v4(let sibling) = database.network(around: .v4(siblingAddress)) else { continue }
                #expect(!(database.region(of: siblingAddress) == expected && sibling.prefixLength <= network.prefixLength),
                    "\(address): \(network) could be wider")
            }
        }
    }

    @Test("Per-country sets, statistics and provenance for a host UI")
    func statistics() throws {
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        let au = try #require(database.statistics.first { $0.region.code == "AU" })
        #expect(au.ipv4Ranges == 2 && au.ipv4Networks == 2 && au.ipv4Addresses == 256 + 1024)
        #expect(database.addresses(of: [try Country(code: "AU"), try Country(code: "CN")]).ipv4Ranges.map(\.description) == ["1.0.0.0-1.0.7.255"])
        #expect(database.networkCount(.ipv6) == 3)
        let generated = try #require(database.provenance.generatedAt)
        #expect(!database.provenance.isStale(maximumAge: 86_400, now: generated + 3_600))
        #expect(database.provenance.isStale(maximumAge: 86_400, now: generated + 2 * 86_400))
        #expect(database.provenance.attribution.contains("IPFire"))
    }
}

@Suite("Snapshots and the bundled database")
struct SnapshotTests {
    @Test("A snapshot round-trips every segment, code and the provenance")
    func roundTrip() throws {
        let source = try GeoDatabase.load(.dbipCSV(path: TestPaths.fixture("dbip/dbip-country-lite-2026-11.csv")))
        let bytes = try GeoSnapshot.encode(source)
        let copy = try GeoSnapshot.decode(bytes)
        #expect(copy.regions == source.regions)
        for region in source.regions { #expect(copy.addresses(of: region) == source.addresses(of: region)) }
        #expect(copy.provenance.sourceName == source.provenance.sourceName)
        #expect(copy.provenance.version == source.provenance.version)
        #expect(copy.provenance.generatedAt == source.provenance.generatedAt)
        #expect(copy.report.rows == source.report.rows)
        #expect(try GeoSnapshot.encode(copy) == bytes)
    }

    @Test("Corrupt, truncated and foreign files are refused with a clear error")
    func corrupt() throws {
        let bytes = try GeoSnapshot.encode(try GeoDatabase.load(.ipdeny(directory: TestPaths.fixture("ipdeny"))))
        var flipped = bytes
        flipped[bytes.count - 5] ^= 0x40
        #expect(throws: GeoFilterError.self) { try GeoSnapshot.decode(flipped) }
        for length in [0, 4, 20, 44, 60, bytes.count - 1] {
            let error = #expect(throws: GeoFilterError.self) { try GeoSnapshot.decode(Array(bytes.prefix(length))) }
            #expect(error?.message.contains("truncated") == true || error?.message.contains("checksum") == true, "\(length): \(String(describing: error))")
        }
        let foreign = #expect(throws: GeoFilterError.self) { try GeoSnapshot.decode(Array("network,geoname_id\n".utf8) + bytes) }
        #expect(foreign?.message.contains("not a GeoFilter snapshot") == true)
        var future = bytes
        future[8] = 9
        let version = #expect(throws: GeoFilterError.self) { try GeoSnapshot.decode(future) }
        #expect(version?.code == .unsupported)
        let path = try TestPaths.temporaryFile("", name: "cut.gfsnap")
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        let named = #expect(throws: GeoFilterError.self) { try GeoDatabase.load(.snapshot(path: path)) }
        #expect(named?.location?.path == path)
    }

    @Test("The bundled database loads from the package's resources and answers lookups")
    func bundled() throws {
        GeoFilterBundledData.register()
        let database = try GeoDatabase.load(.bundled)
        #expect(database.provenance.sourceName == "IPFire Location")
        #expect(database.provenance.licence == "CC BY-SA 4.0")
        #expect(database.segmentCount(.ipv4) > 300_000 && database.segmentCount(.ipv6) > 200_000)
        #expect(database.countries.count > 240)
        #expect(database.lookup(try IPAddress(parsing: "2001:200::1"))?.region.country != nil)
        #expect(GeoFilterBundledData.dataLicence?.contains("CC BY-SA 4.0") == true)
        let size = try FileManager.default.attributesOfItem(atPath: try #require(GeoFilterBundledData.snapshotPath))[.size] as? Int
        #expect(try #require(size) < 8 << 20)
    }

    @Test(
        "The bundled database holds exactly the tor-geoipdb it was built from",
        .enabled(if: TestPaths.available("/usr/share/tor/geoip", "/usr/share/tor/geoip6"), "needs tor-geoipdb"))
    func bundledMatchesSource() throws {
        GeoFilterBundledData.register()
        let bundled = try GeoDatabase.load(.bundled)
        let source = try GeoDatabase.load(.ipfire(ipv4: "/usr/share/tor/geoip", ipv6: "/usr/share/tor/geoip6"))
        guard bundled.provenance.generatedAt == source.provenance.generatedAt else {
            // Debian updated tor-geoipdb since the snapshot was built: the data differs by design.
            #expect(bundled.provenance.generatedAt != nil)
            return
        }
        #expect(bundled.regions == source.regions)
        for region in source.regions { #expect(bundled.addresses(of: region) == source.addresses(of: region), "\(region)") }
    }

    @Test("SHA-256 matches sha256sum", arguments: [0, 1, 55, 56, 63, 64, 65, 1000])
    func sha256(length: Int) throws {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let path = try TestPaths.temporaryFile("", name: "blob")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let expected = try runProcess("/usr/bin/sha256sum", [path]).standardOutput.prefix(64)
        #expect(SHA256.hex(SHA256.hash(bytes)) == expected)
    }
}

@Suite("Lookup index edge cases")
struct LookupIndexTests {
    /// Random disjoint ranges packed into a few /64s (so many starts share their top 64 bits)
    /// and a few large ones; lookups must equal a linear scan.
    @Test("IPv6 boundaries inside one /64 and dense prefixes", arguments: propertySeeds)
    func denseIPv6(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var rows: [(UInt128, UInt128, String)] = []
        var cursor = UInt128(0x2001_0db8) << 96
        let codes = ["DE", "FR", "NL", "EU", "??"]
        for _ in 0..<3_000 {
            cursor += UInt128.random(in: 0...3, using: &rng) << (Bool.random(using: &rng) ? 0 : 64)  // gaps
            let size = UInt128(1) << UInt128(Int.random(in: 0...70, using: &rng))
            rows.append((cursor, cursor + size - 1, codes.randomElement(using: &rng)!))
            cursor += size
        }
        rows.append((UInt128.max - 255, UInt128.max, "JP"))
        let text = rows.shuffled(using: &rng).map { "\(IPv6Address($0.0)),\(IPv6Address($0.1)),\($0.2)" }.joined(separator: "\n")
        let database = try GeoDatabase.load(.ipfire(ipv4: try TestPaths.temporaryFile(""), ipv6: try TestPaths.temporaryFile(text)))
        func reference(_ value: UInt128) -> String? {
            rows.first { $0.0 <= value && value <= $0.1 }?.2
        }
        var probes: [UInt128] = [0, 1, UInt128.max, UInt128.max - 256]
        for row in rows.shuffled(using: &rng).prefix(800) {
            probes += [row.0, row.1, row.0 &- 1, row.1 &+ 1, row.0 + (row.1 - row.0) / 2]
        }
        for probe in probes {
            #expect(database.region(of: IPv6Address(probe))?.code == reference(probe), "\(IPv6Address(probe)) seed \(seed)")
        }
    }
}
