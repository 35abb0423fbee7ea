import Foundation
@_spi(Fuzzing) import GeoFilterCore

#if canImport(Glibc)
import Glibc
#endif

/// The fuzz targets' bodies. Each one feeds one input to a parser in memory and checks what
/// must hold for any input: no crash or trap, and properties that tie the result to the input
/// (text forms read back to the same value; the same bytes read in one piece or in small
/// pieces give the same database; a database survives a snapshot round trip). A broken
/// property stops the process with `fatalError`, which libFuzzer reports as a crash.
///
/// Inputs of the data-source targets start with one control byte (bit 0: lenient parsing;
/// bits 1-3: the size of the small reads; bits 4-5: the GeoLite2 country choice); files of
/// several-file sources are separated by a line `#####`.
public enum FuzzTargets {
    /// Separates the files of one input.
    static let separator = Array("\n#####\n".utf8)

    // MARK: Addresses

    /// IPv4Address, IPv6Address and IPAddress text, checked against glibc's `inet_pton`.
    public static func address(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let v4 = try? IPv4Address(parsing: text)
        let v6 = try? IPv6Address(parsing: text)
        let any = try? IPAddress(parsing: text)
        if let v4 {
            require((try? IPv4Address(parsing: v4.description)) == v4, "IPv4 text round trip of \(v4)")
            require(any == .v4(v4), "IPAddress disagrees with IPv4Address on \(text.debugDescription)")
        }
        if let v6 {
            require((try? IPv6Address(parsing: v6.description)) == v6, "IPv6 text round trip of \(v6)")
            require(any == .v6(v6), "IPAddress disagrees with IPv6Address on \(text.debugDescription)")
        }
        require(v4 == nil || v6 == nil, "one text is both an IPv4 and an IPv6 address: \(text.debugDescription)")
        if v4 == nil && v6 == nil { require(any == nil, "IPAddress accepts \(text.debugDescription)") }
        // The parsers accept exactly what inet_pton accepts.
        let utf8 = Array(text.utf8)
        if !utf8.contains(0) {
            var buffer = [UInt8](repeating: 0, count: 16)
            let cString = utf8 + [0]
            let ok4 = inet_pton(AF_INET, cString, &buffer) == 1
            require(ok4 == (v4 != nil), "IPv4 parser and inet_pton disagree on \(text.debugDescription)")
            if let v4, ok4 {
                let value = UInt32(buffer[0]) << 24 | UInt32(buffer[1]) << 16 | UInt32(buffer[2]) << 8 | UInt32(buffer[3])
                require(value == v4.value, "IPv4 value differs from inet_pton for \(text.debugDescription)")
            }
            let ok6 = inet_pton(AF_INET6, cString, &buffer) == 1
            require(ok6 == (v6 != nil), "IPv6 parser and inet_pton disagree on \(text.debugDescription)")
            if let v6, ok6 { require(v6.bytes == buffer, "IPv6 value differs from inet_pton for \(text.debugDescription)") }
        }
    }

    // MARK: Networks and ranges

    /// IPNetwork, IPAddressRange and CIDRSet(parsing:).
    public static func network(_ data: [UInt8]) {
        let masking = data.first.map { $0 & 1 == 1 } ?? false
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        networkText(text, IPv4Address.self, masking: masking)
        networkText(text, IPv6Address.self, masking: masking)
        if let any = try? IPAnyNetwork(parsing: text) {
            require((try? IPAnyNetwork(parsing: any.description)) == any, "IPAnyNetwork round trip of \(any)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(256)
        guard let set = try? CIDRSet(parsing: lines, maskingHostBits: masking) else { return }
        let rebuilt = CIDRSet(set.ipv4Networks).union(CIDRSet(set.ipv6Networks))
        require(rebuilt == set, "a CIDRSet differs from the union of its networks")
        require(CIDRSet(set.ipv4Ranges).union(CIDRSet(set.ipv6Ranges)) == set, "a CIDRSet differs from the union of its ranges")
        require(set.complement().complement() == set, "complement is not an involution")
        require(set.union(set.complement()) == CIDRSet.all, "a set and its complement do not cover the space")
        require(set.intersection(set.complement()).isEmpty, "a set meets its complement")
        let listed = set.ipv4Networks.map(\.description) + set.ipv6Networks.map(\.description)
        require((try? CIDRSet(parsing: listed)) == set, "the networks' text does not read back to the set")
    }

    private static func networkText<A: IPAddressProtocol>(_ text: String, _: A.Type, masking: Bool) {
        if let network = try? IPNetwork<A>(parsing: text, maskingHostBits: masking) {
            require((try? IPNetwork<A>(parsing: network.description)) == network, "network text round trip of \(network)")
            require(network.contains(network.address) && network.contains(network.lastAddress), "a network lacks its ends")
            require(network.range.networks == [network], "a network's range is not the network")
        }
        if let range = try? IPAddressRange<A>(parsing: text) {
            require((try? IPAddressRange<A>(parsing: range.description)) == range, "range text round trip of \(range)")
            let networks = range.networks
            require(networks.first?.address == range.first && networks.last?.lastAddress == range.last, "networks of \(range) miss its ends")
            require(networks.count <= 2 * A.bitWidth, "\(networks.count) networks for one range")
            for (a, b) in zip(networks, networks.dropFirst()) {
                require(a.lastAddress < b.address, "networks of \(range) overlap or are out of order")
            }
        }
    }

    // MARK: Data sources

    public static func dbip(_ data: [UInt8]) {
        let (control, body) = split(control: data)
        check(.dbipCSV(body), control)
    }

    public static func geolite2(_ data: [UInt8]) {
        let (control, body) = split(control: data)
        let files = parts(body, count: 3)
        let choice: GeoLite2CountryChoice = [.located, .registered, .represented][Int(control >> 4 & 3) % 3]
        check(.geoLite2CSV(locations: files[0], blocks4: files[1], blocks6: files[2], country: choice), control)
    }

    public static func rir(_ data: [UInt8]) {
        let (control, body) = split(control: data)
        check(.rir(parts(body, count: nil)), control)
    }

    public static func ipdeny(_ data: [UInt8]) {
        let (control, body) = split(control: data)
        let names = ["ad-aggregated.zone", "ch.zone", "eu.zone", "de.zone", "MD5SUM"]
        let files = parts(body, count: nil).enumerated().map { index, bytes in
            GeoDatabase.ZoneFile(name: names[index % names.count], bytes: bytes)
        }
        check(.ipdeny(files), control)
    }

    public static func ipfire(_ data: [UInt8]) {
        let (control, body) = split(control: data)
        let files = parts(body, count: nil)
        check(.ipfire(ipv4: files[0], ipv6: files.count > 1 ? files[1] : nil), control)
    }

    /// Loads the source twice, in one read and in small reads, and requires the same result;
    /// then checks the database through a snapshot round trip and a few lookups.
    private static func check(_ source: GeoDatabase.InMemorySource, _ control: UInt8) {
        let options = ParseOptions(lenient: control & 1 == 1, maximumRows: 100_000, maximumDecompressedBytes: 1 << 22)
        let readSize = [1, 2, 3, 5, 7, 64, 4096, 65537][Int(control >> 1 & 7)]
        let whole = load(source, options, .max)
        let pieces = load(source, options, readSize)
        switch (whole, pieces) {
        case (.success(let a), .success(let b)):
            let encodedA = encode(a)
            require(encodedA == encode(b), "reading in pieces of \(readSize) bytes gives another database")
            require(a.report == b.report, "reading in pieces of \(readSize) bytes gives another report")
            roundTrip(a, encodedA)
        case (.failure(let a), .failure(let b)):
            require(a.description == b.description, "reading in pieces gives another error: \(a) / \(b)")
            requireEscaped(a.description)
        default:
            fatalError("reading in one piece and in pieces of \(readSize) bytes disagree: \(whole) / \(pieces)")
        }
    }

    private static func load(
        _ source: GeoDatabase.InMemorySource, _ options: ParseOptions, _ readSize: Int
    ) -> Result<GeoDatabase, GeoFilterError> {
        do { return .success(try GeoDatabase.load(source, options: options, readSize: readSize)) } catch { return .failure(error) }
    }

    // MARK: Snapshot

    public static func snapshot(_ data: [UInt8]) {
        _ = try? GeoSnapshot.decode(data)
        guard let database = try? GeoSnapshot.decode(data, verifyingChecksum: false) else { return }
        roundTrip(database, encode(database))
    }

    // MARK: Policy

    /// A tiny database for the policy target: a few countries of both families.
    static let tinyDatabase: GeoDatabase = {
        let csv = """
            1.0.0.0,1.0.0.255,AU
            1.0.1.0,1.0.3.255,CN
            5.0.0.0,5.255.255.255,DE
            192.0.2.0,192.0.2.9,FR
            203.0.113.0,203.0.113.255,US
            2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE
            2001:db9::,2001:db9:0:ffff:ffff:ffff:ffff:ffff,RU
            """
        return try! GeoDatabase.load(.dbipCSV(Array(csv.utf8)))
    }()

    /// GeoPolicy JSON: decoding, `validate()`, a JSON round trip, and compiling a plan.
    public static func policy(_ data: [UInt8]) {
        guard let policy = try? JSONDecoder().decode(GeoPolicy.self, from: Data(data)) else { return }
        if let encoded = try? JSONEncoder().encode(policy) {
            require((try? JSONDecoder().decode(GeoPolicy.self, from: encoded)) == policy, "policy JSON round trip")
        }
        guard (try? policy.validate()) != nil else { return }
        guard let plan = try? FirewallPlan(policy: policy, database: tinyDatabase) else { return }
        _ = plan.setFigures
        for family in IPAddressFamily.allCases {
            _ = plan.countryRangeCount(family)
            for kind in FirewallPlan.SetKind.allCases { _ = plan.geoMatch(family, for: kind) }
        }
        for text in ["1.0.0.1", "5.1.2.3", "10.0.0.1", "2001:db8::1", "2001:db9::1", "::1"] {
            _ = plan.explain(try! IPAddress(parsing: text), transport: .udp, port: 5060)
        }
    }

    // MARK: Helpers

    /// Re-encodes a decoded database and requires the same bytes, then looks up every
    /// region's first address.
    private static func roundTrip(_ database: GeoDatabase, _ encoded: [UInt8]) {
        let decoded: GeoDatabase
        do { decoded = try GeoSnapshot.decode(encoded) } catch { fatalError("a snapshot of the database does not read back: \(error)") }
        require(encode(decoded) == encoded, "a snapshot does not read back to the same database")
        for region in database.regions {
            let set = database.addresses(of: region)
            if let first = set.ipv4Networks.first {
                require(database.region(of: first.address) == region, "IPv4 lookup disagrees with the sets for \(region)")
            }
            if let first = set.ipv6Networks.first {
                require(database.region(of: first.address) == region, "IPv6 lookup disagrees with the sets for \(region)")
            }
        }
    }

    private static func encode(_ database: GeoDatabase) -> [UInt8] {
        do { return try GeoSnapshot.encode(database) } catch { fatalError("cannot encode a database: \(error)") }
    }

    /// Messages must not carry raw control characters from the input.
    static func requireEscaped(_ message: String) {
        for scalar in message.unicodeScalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            fatalError("a message carries the raw control character U+\(String(scalar.value, radix: 16)): \(message.debugDescription)")
        }
    }

    static func split(control data: [UInt8]) -> (UInt8, [UInt8]) {
        guard let first = data.first else { return (0, []) }
        return (first, Array(data.dropFirst()))
    }

    /// The files of an input, split at separator lines; `count` pads or merges to that many.
    static func parts(_ data: [UInt8], count: Int?) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + separator.count <= data.count {
            if data[index] == separator[0] && Array(data[index..<index + separator.count]) == separator {
                result.append(Array(data[start..<index]) + [UInt8(ascii: "\n")])
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        result.append(Array(data[start...]))
        guard let count else { return Array(result.prefix(8)) }
        while result.count < count { result.append([]) }
        return Array(result.prefix(count))
    }

    @inline(__always)
    static func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError(message()) }
    }
}

/// Runs each file given (or each file in each folder given) through `body`: the replayer that
/// the targets become when built without libFuzzer.
public func replay(_ arguments: some Sequence<String>, _ body: ([UInt8]) -> Void) {
    var count = 0
    for argument in arguments {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            print("no such file: \(argument)")
            exit(2)
        }
        let paths =
            isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { argument + "/" + $0 }
            : [argument]
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            body(Array(data))
            count += 1
        }
    }
    print("replayed \(count) inputs")
}
