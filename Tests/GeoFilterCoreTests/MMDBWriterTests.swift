import Foundation
import Testing

@testable import GeoFilterCore

/// Whether a program is on PATH.
private func onPath(_ program: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
    }
}

/// Runs `Scripts/mmdb-writer-testdata.sh` (installs PyPI mmdb-writer and maxminddb into
/// .build/mmdb-python on first use) and returns its standard error on failure.
private func runWriter(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestPaths.root + "/Scripts/mmdb-writer-testdata.sh")
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw GeoFilterError(.program, "mmdb-writer-testdata.sh \(arguments.joined(separator: " ")) failed: \(text)")
    }
}

private let writerAvailable = TestPaths.isCI || (onPath("python3") && onPath("mmdblookup"))

/// Databases written by an independent writer (PyPI mmdb-writer) from random country data,
/// read back and compared with what was written, and with two reference readers (PyPI
/// maxminddb on 10,000 addresses per database, Debian's mmdblookup on a sample of them; the
/// script checks that the two agree).
@Suite(
    "MaxMind DB files from an independent writer",
    .enabled(if: writerAvailable, "needs python3 (with pip access to PyPI) and mmdblookup (Debian mmdb-bin)"))
struct MMDBWriterTests {
    /// mmdblookup is one process per lookup (about 7 ms, two at a time: 10,000 lookups in each
    /// of the 9 databases take about 90 s here); GEOFILTER_MMDBLOOKUP_SAMPLE lowers the count.
    static let mmdblookupSample = Int(ProcessInfo.processInfo.environment["GEOFILTER_MMDBLOOKUP_SAMPLE"] ?? "") ?? 10_000

    @Test("IPv4-only, IPv6 and IPv4-mapped layouts, 24/28/32-bit records: networks, countries and lookups")
    func writtenDatabases() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-mmdbw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let seed = propertySeeds.last!
        try runWriter([folder.path, String(seed % 1_000_000_007), "10000", String(Self.mmdblookupSample)])
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any])
        let databases = try #require(manifest["databases"] as? [[String: Any]])
        #expect(databases.count == 9)
        var compared = 0
        var flattened = 0
        var checkedByMMDBLookup = 0
        for entry in databases {
            let path = try #require(entry["path"] as? String)
            let layout = try #require(entry["layout"] as? String)
            let reader = try MMDBReader(path: path)
            #expect(reader.metadata.recordSize == entry["record_size"] as? Int)
            #expect(reader.metadata.ipVersion == (layout == "ipv4" ? 4 : 6))
            // Every network and its countries, each IPv4 network once.
            let written = try #require(entry["networks"] as? [[Any]])
            for (index, choice) in [GeoLite2CountryChoice.located, .registered, .represented].enumerated() {
                var expected: [String] = []
                for row in written {
                    guard let network = row[0] as? String, let code = row[1 + index] as? String else { continue }
                    expected.append("\(network) \(code)")
                }
                var found: [String] = []
                try reader.walk { family, value, length, offset throws(GeoFilterError) in
                    guard let code = try MMDBFormat.country(reader.data, at: offset, choice: choice) else { return }
                    switch family {
                    case .ipv4: found.append("\(IPv4Address(UInt32(truncatingIfNeeded: value)))/\(length) \(code)")
                    case .ipv6: found.append("\(IPv6Address(value))/\(length) \(code)")
                    }
                }
                #expect(found.sorted() == expected.sorted(), "\(path) \(choice)")
            }
            // Lookups against maxminddb (and, in the script, mmdblookup).
            let database = try GeoDatabase.load(.mmdb(path: path))
            let lookups = try #require(entry["lookups"] as? [[Any]])
            checkedByMMDBLookup += entry["mmdblookup_checked"] as? Int ?? 0
            for row in lookups {
                let text = try #require(row[0] as? String)
                let prefix = row[1] as? Int
                let code = row[2] as? String
                let result: MMDBReader.Lookup?
                let address: IPAddress
                if text.contains(":") {
                    let six = try IPv6Address(parsing: text)
                    result = try reader.lookup(six)
                    address = .v6(six)
                } else {
                    let four = try IPv4Address(parsing: text)
                    result = try reader.lookup(four)
                    address = .v4(four)
                }
                let lookup = try #require(result, "\(text) in \(path)")
                compared += 1
                let foundCode = try lookup.dataOffset.flatMap { offset throws(GeoFilterError) in
                    try MMDBFormat.country(reader.data, at: offset, choice: .located)
                }
                #expect(foundCode?.description == code, "\(text) in \(path)")
                if let prefix { #expect(lookup.prefixLength == prefix, "\(text) in \(path)") }
                // The flattened database answers the same, except through the IPv4 aliases
                // (::ffff:0:0/96, 2002::/16), which it leaves out on purpose.
                if case .v6(let six) = address, layout == "mapped", six.value >> 32 == 0xFFFF || six.value >> 112 == 0x2002 {
                    continue
                }
                #expect(database.lookup(address)?.region.description == code, "\(text) in \(path) (database)")
                flattened += 1
            }
        }
        print(
            "MMDB writer tests: \(compared) reader lookups equal to maxminddb's (\(checkedByMMDBLookup) also checked against mmdblookup), "
                + "\(flattened) also equal in the flattened GeoDatabase")
        #expect(checkedByMMDBLookup >= 9 * Swift.min(Self.mmdblookupSample, 5000))
    }
}

/// A world-size database: tor-geoipdb's ranges (1.16 million networks) written by mmdb-writer,
/// walked into a GeoDatabase that must equal the one read from the text files, less Tor's `??`
/// rows (the script leaves them out) and 2002::/16 (JP in tor-geoipdb; the script aliases it to
/// the IPv4 tree, as MaxMind's writer does, so it is not country data in the file). Writing takes a minute or more of Python, so this runs
/// only with GEOFILTER_MMDB_WORLD=1.
@Suite(
    "A world-size MaxMind DB from tor-geoipdb",
    .enabled(
        if: ProcessInfo.processInfo.environment["GEOFILTER_MMDB_WORLD"] == "1" && writerAvailable
            && FileManager.default.fileExists(atPath: "/usr/share/tor/geoip6"),
        "set GEOFILTER_MMDB_WORLD=1 (needs python3, PyPI access and Debian tor-geoipdb)"))
struct MMDBWorldTests {
    @Test("Walked into the same database as the IPFire text files")
    func world() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-mmdb-world-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tor.mmdb").path
        try runWriter(["--tor", path, "/usr/share/tor/geoip", "/usr/share/tor/geoip6"])
        let clock = ContinuousClock()
        let start = clock.now
        let fromMMDB = try GeoDatabase.load(.mmdb(path: path))
        print("MMDB world walk into a GeoDatabase (debug build): \(clock.now - start)")
        let fromText = try GeoDatabase.load(.ipfire(ipv4: "/usr/share/tor/geoip", ipv6: "/usr/share/tor/geoip6"))
        let unknown = RegionCode(dataCode: "??")!
        #expect(fromMMDB.regions == fromText.regions.filter { $0 != unknown })
        let sixToFour = try CIDRSet(parsing: ["2002::/16"])
        for region in fromMMDB.regions {
            #expect(fromMMDB.addresses(of: region) == fromText.addresses(of: region).subtracting(sixToFour), "\(region)")
        }
    }
}
