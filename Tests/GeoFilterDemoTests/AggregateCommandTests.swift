import Foundation
import GeoFilterTestSupport
import Testing

/// Dotted-decimal text written independently of GeoFilter's formatter.
private func dotted(_ value: UInt32) -> String {
    "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
}

/// The rows of a Tor/IPFire `geoip` file: (first, last, country), IPv4 as integers.
private func torIPv4Rows() throws -> [(UInt32, UInt32, String)] {
    let text = try String(contentsOfFile: TestEnvironment.torGeoIP, encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
        guard !line.hasPrefix("#") else { return nil }
        let fields = line.split(separator: ",")
        guard fields.count == 3, let first = UInt32(fields[0]), let last = UInt32(fields[1]) else { return nil }
        return (first, last, String(fields[2]))
    }
}

private let allowedCountries: Set<String> = ["US", "CA", "GB", "DE", "FR", "NL"]

@Suite("geofilter-demo aggregate")
struct AggregateCommandTests {
    @Test(
        "Prints exactly what iprange prints for IPv4 inputs built from tor-geoipdb",
        .enabled(if: TestEnvironment.has(files: [TestEnvironment.torGeoIP], programs: ["iprange"]),
            "needs tor-geoipdb and iprange (apt-get install tor-geoipdb iprange)"))
    func matchesIPRange() throws {
        let iprange = try #require(TestEnvironment.which("iprange"), "iprange is not installed")
        let rows = try torIPv4Rows()
        try #require(rows.count > 300_000, "\(TestEnvironment.torGeoIP) has only \(rows.count) IPv4 rows")
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }

        var rng = SystemRandomNumberGenerator()
        // (a) every row as a range; (b) every country but six, as ranges.
        let all = rows.map { "\(dotted($0.0))-\(dotted($0.1))" }
        let blocked = rows.filter { !allowedCountries.contains($0.2) && $0.2 != "??" }.map { "\(dotted($0.0)) - \(dotted($0.1))" }
        // (c) one country's rows as iprange's own CIDRs, shuffled, with single addresses, overlaps
        // and comments mixed in.
        let cnRanges = rows.filter { $0.2 == "CN" || $0.2 == "RU" }.map { "\(dotted($0.0))-\(dotted($0.1))" }
        let cnFile = folder.appendingPathComponent("cn.txt")
        try cnRanges.joined(separator: "\n").write(to: cnFile, atomically: true, encoding: .utf8)
        let cnCIDRs = try DemoProcess.run(iprange, [cnFile.path]).standardOutput.split(separator: "\n").map(String.init)
        var mixed = cnCIDRs + rows.shuffled(using: &rng).prefix(3_000).map { dotted($0.0) }
        mixed += rows.shuffled(using: &rng).prefix(2_000).map { "\(dotted($0.0))-\(dotted($0.0 + ($0.1 - $0.0) / 2)) # part" }
        mixed.shuffle(using: &rng)
        mixed.insert("# a comment line", at: 0)

        for (name, lines) in [("all", all), ("blocked", blocked), ("mixed", mixed)] {
            let file = folder.appendingPathComponent("\(name).txt")
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            let expected = try DemoProcess.run(iprange, [file.path])
            let ours = try DemoProcess.demo(["aggregate", file.path])
            #expect(ours.status == 0, "\(name): \(ours.standardError)")
            #expect(ours.standardOutput == expected.standardOutput, "\(name): CIDR lists differ")
            #expect(!ours.standardOutput.isEmpty)
            let expectedRanges = try DemoProcess.run(iprange, ["-j", file.path])
            let ourRanges = try DemoProcess.demo(["aggregate", "--ranges", file.path])
            #expect(ourRanges.standardOutput == expectedRanges.standardOutput, "\(name): range lists differ")
        }
    }

    @Test(
        "IPv6 output is the set Python's ipaddress.collapse_addresses gives, from tor-geoipdb rows",
        .enabled(if: TestEnvironment.has(files: [TestEnvironment.torGeoIP6], programs: ["python3"]),
            "needs tor-geoipdb and python3"))
    func matchesPythonForIPv6() throws {
        let python = try #require(TestEnvironment.which("python3"), "python3 is not installed")
        let text = try String(contentsOfFile: TestEnvironment.torGeoIP6, encoding: .utf8)
        let rows = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",") }
        try #require(rows.count > 200_000)
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SystemRandomNumberGenerator()
        let chosen = rows.filter { !allowedCountries.contains(String($0[2])) && $0[2] != "??" }
            .shuffled(using: &rng).prefix(60_000)
        let input = folder.appendingPathComponent("v6.txt")
        try chosen.map { "\($0[0])-\($0[1])" }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let script = """
            import ipaddress, sys
            nets = []
            for line in open(sys.argv[1]):
                a, b = line.strip().split("-")
                nets.extend(ipaddress.summarize_address_range(ipaddress.IPv6Address(a), ipaddress.IPv6Address(b)))
            for n in ipaddress.collapse_addresses(nets):
                print(n)
            """
        let reference = try DemoProcess.run(python, ["-c", script, input.path])
        try #require(reference.status == 0, "python3: \(reference.standardError)")
        let ours = try DemoProcess.demo(["aggregate", input.path])
        #expect(ours.status == 0, "\(ours.standardError)")
        let normalized = ours.standardOutput.split(separator: "\n").map { $0.contains("/") ? String($0) : "\($0)/128" }
        let expected = reference.standardOutput.split(separator: "\n").map(String.init)
        #expect(normalized.count == expected.count)
        #expect(normalized == expected)
    }

    @Test("Standard input, comments, CRLF, a byte order mark, both families, IPv4 first")
    func standardInput() throws {
        let input = "\u{FEFF}# list\r\n2001:db8::/33\r\n10.0.0.0/9 # half\r\n\r\n10.128.0.0 - 10.255.255.255\r\n2001:db8:8000::/33\r\n1.1.1.1"
        let result = try DemoProcess.demo(["aggregate"], input: input)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "1.1.1.1\n10.0.0.0/8\n2001:db8::/32\n")
        let dash = try DemoProcess.demo(["aggregate", "--ranges", "-"], input: input)
        #expect(dash.standardOutput == "1.1.1.1-1.1.1.1\n10.0.0.0-10.255.255.255\n2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\n")
    }

    @Test(
        "A malformed line fails with the file and line number and prints nothing",
        arguments: [
            ("10.0.0.0/8\n1.2.3.4\n1.2.3.256\n", 3, "1.2.3.256"),
            ("10.0.0.1/8\n", 1, "10.0.0.1/8"),
            ("1.2.3.4\n\n# c\n5.6.7.8-1.2.3.4\n", 4, "5.6.7.8-1.2.3.4"),
            ("::1\n2001:db8::-10.0.0.1\n", 2, "2001:db8::-10.0.0.1"),
            ("1.2.3.0/33\n", 1, "1.2.3.0/33"),
            ("1::2::3\n", 1, "1::2::3"),
            ("example.com\n", 1, "example.com"),
        ])
    func malformed(input: String, line: Int, text: String) throws {
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("list.txt")
        try input.write(to: file, atomically: true, encoding: .utf8)
        let result = try DemoProcess.demo(["aggregate", file.path])
        #expect(result.status != 0)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains("\(file.path):\(line):"), "\(result.standardError)")
        #expect(result.standardError.contains(text))
    }

    @Test("A missing file and an overlong line are clear errors")
    func unreadable() throws {
        let missing = try DemoProcess.demo(["aggregate", "/nonexistent/list.txt"])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("/nonexistent/list.txt"))
        let long = try DemoProcess.demo(["aggregate"], input: "1.2.3.4\n" + String(repeating: "1", count: 100_000) + "\n")
        #expect(long.status != 0)
        #expect(long.standardError.contains("<stdin>:2:"), "\(long.standardError)")
    }

    @Test("--mask-host-bits clears host bits as iprange does")
    func masking() throws {
        let result = try DemoProcess.demo(["aggregate", "--mask-host-bits"], input: "10.1.2.3/8\n2001:db8::1/32\n")
        #expect(result.standardOutput == "10.0.0.0/8\n2001:db8::/32\n")
    }
}
