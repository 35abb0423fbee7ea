import Glibc
import Testing

@testable import GeoFilterCore

/// glibc's `inet_pton`: the oracle for what address text is valid.
private func glibcParseIPv4(_ text: String) -> UInt32? {
    var address = in_addr()
    guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
    return UInt32(bigEndian: address.s_addr)
}

private func glibcParseIPv6(_ text: String) -> UInt128? {
    var address = in6_addr()
    guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
    return withUnsafeBytes(of: address) { raw in raw.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
}

/// glibc's `inet_ntop`: the oracle for canonical address text.
private func glibcFormatIPv4(_ value: UInt32) -> String {
    var address = in_addr(s_addr: value.bigEndian)
    var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
    inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func glibcFormatIPv6(_ value: UInt128) -> String {
    var address = in6_addr()
    withUnsafeMutableBytes(of: &address) { raw in
        for index in 0..<16 { raw[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index))) }
    }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

@Suite("Address text agrees with glibc inet_pton / inet_ntop")
struct AddressParsingTests {
    static let edgeCases: [String] = [
        "", " ", "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.", "1.2.3.4.5", ".1.2.3.4",
        "01.2.3.4", "1.02.3.4", "0.0.0.00", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "0x1.2.3.4",
        "1.2.3.4/24", "999.1.1.1", "1.2.3.255", "1.2.3.2555", "4294967295", "1.2.3.a",
        "::", ":", ":::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7", "1::2::3", "12345::", "ffff::",
        "FFFF::ABCD", "fFfF::aBcD", "0000:0000:0000:0000:0000:0000:0000:0001", "00000::1", "::ffff:1.2.3.4",
        "::1.2.3.4", "::ffff:01.2.3.4", "::ffff:1.2.3", "::ffff:1.2.3.4.5", "1:2:3:4:5:6:1.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4", "::1.2.3.4:5", "1.2.3.4::", "::a.b.c.d",
        "::12.3.4.5", "::1234.1.1.1", "1:", ":1", "1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7", "g::", "::g",
        "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "fe80::1%eth0", "::ffff:255.255.255.255",
        "::ffff:256.1.1.1", "1::1.2.3.4", "::0.0.0.0", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7",
        "1:2:3:4:5:6::7", "1:2:3:4:5:6:7::8", "1.2.3.4:1::", "::-1", "1 ::", "[::1]",
    ]

    @Test("Edge cases parse exactly as inet_pton does", arguments: edgeCases)
    func edgeCase(_ text: String) {
        let ours4 = try? IPv4Address(parsing: text)
        #expect(ours4?.value == glibcParseIPv4(text), "IPv4 \(text.debugDescription)")
        let ours6 = try? IPv6Address(parsing: text)
        #expect(ours6?.value == glibcParseIPv6(text), "IPv6 \(text.debugDescription)")
    }

    @Test("Random and mutated texts parse exactly as inet_pton does", arguments: propertySeeds)
    func randomTexts(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let alphabet = Array("0123456789abcdefABCDEFg:.: /-x")
        var mismatches: [String] = []
        for _ in 0..<30_000 {
            var text: String
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: text = glibcFormatIPv4(UInt32.random(in: 0...UInt32.max, using: &rng))
            case 1: text = glibcFormatIPv6(randomShapedIPv6(using: &rng))
            case 2: text = uncompressedIPv6(randomShapedIPv6(using: &rng), using: &rng)
            case 3: text = "::ffff:" + glibcFormatIPv4(UInt32.random(in: 0...UInt32.max, using: &rng))
            default: text = String((0..<Int.random(in: 0...14, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            }
            var characters = Array(text)
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                let position = Int.random(in: 0...characters.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: characters.insert(alphabet.randomElement(using: &rng)!, at: position)
                case 1: if position < characters.count { characters.remove(at: position) }
                default: if position < characters.count { characters[position] = alphabet.randomElement(using: &rng)! }
                }
            }
            text = String(characters)
            if (try? IPv4Address(parsing: text))?.value != glibcParseIPv4(text)
                || (try? IPv6Address(parsing: text))?.value != glibcParseIPv6(text)
            {
                mismatches.append(text)
            }
        }
        #expect(mismatches.isEmpty, "seed \(seed): \(mismatches.prefix(10))")
    }

    @Test("Printing matches inet_ntop on random and zero-run-shaped addresses", arguments: propertySeeds)
    func printing(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<20_000 {
            let v4 = UInt32.random(in: 0...UInt32.max, using: &rng)
            #expect(IPv4Address(v4).description == glibcFormatIPv4(v4))
            let v6 = randomShapedIPv6(using: &rng)
            let text = IPv6Address(v6).description
            #expect(text == glibcFormatIPv6(v6), "seed \(seed)")
            #expect((try? IPv6Address(parsing: text))?.value == v6, "round trip \(text)")
        }
    }

    @Test("Typed errors say why a text is not an address")
    func reasons() throws {
        #expect(throws: IPAddressParseError(.leadingZero, text: "01.2.3.4")) { try IPv4Address(parsing: "01.2.3.4") }
        #expect(throws: IPAddressParseError(.octetOutOfRange, text: "1.2.3.256")) { try IPv4Address(parsing: "1.2.3.256") }
        #expect(throws: IPAddressParseError(.wrongNumberOfParts, text: "1.2.3")) { try IPv4Address(parsing: "1.2.3") }
        #expect(throws: IPAddressParseError(.misplacedDoubleColon, text: "1::2::3")) { try IPv6Address(parsing: "1::2::3") }
        #expect(throws: IPAddressParseError(.groupTooLong, text: "12345::")) { try IPv6Address(parsing: "12345::") }
        #expect(throws: IPAddressParseError(.empty, text: "")) { try IPAddress(parsing: "") }
        #expect(try IPAddress(parsing: "::ffff:1.2.3.4").family == .ipv6)
    }

    /// A random IPv6 value with runs of zero groups and mapped/compatible shapes, so every
    /// branch of the canonical-text rules is reached.
    private func randomShapedIPv6(using rng: inout SeededGenerator) -> UInt128 {
        var value = UInt128(0)
        for _ in 0..<8 {
            let group: UInt16 =
                switch Int.random(in: 0..<4, using: &rng) {
                case 0, 1: 0
                case 2: UInt16.random(in: 0...0xf, using: &rng)
                default: UInt16.random(in: 0...0xffff, using: &rng)
                }
            value = value << 16 | UInt128(group)
        }
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return UInt128(0xffff) << 32 | (value & 0xffff_ffff)
        case 1: return value & 0xffff_ffff
        case 2: return value & 0xffff
        default: return value
        }
    }

    /// Eight groups, random case and leading zeros: valid text that is not canonical.
    private func uncompressedIPv6(_ value: UInt128, using rng: inout SeededGenerator) -> String {
        (0..<8).map { index in
            var group = String(UInt16(truncatingIfNeeded: value >> (16 * (7 - index))), radix: 16)
            if Bool.random(using: &rng) { group = group.uppercased() }
            while group.count < 4 && Bool.random(using: &rng) { group = "0" + group }
            return group
        }.joined(separator: ":")
    }
}
