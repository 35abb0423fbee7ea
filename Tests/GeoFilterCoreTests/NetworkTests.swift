import Testing

@testable import GeoFilterCore

@Suite("Networks and ranges")
struct NetworkTests {
    @Test("Host bits are an error unless masking is asked for")
    func hostBits() throws {
        #expect(throws: IPAddressParseError(.hostBitsSet, text: "10.0.0.1/8")) { try IPv4Network(parsing: "10.0.0.1/8") }
        #expect(try IPv4Network(parsing: "10.0.0.1/8", maskingHostBits: true).description == "10.0.0.0/8")
        #expect(throws: IPAddressParseError(.hostBitsSet, text: "2001:db8::1/32")) { try IPv6Network(parsing: "2001:db8::1/32") }
        #expect(try IPv6Network(parsing: "2001:db8::1/32", maskingHostBits: true).description == "2001:db8::/32")
        #expect(throws: IPAddressParseError(.invalidPrefixLength, text: "1.2.3.0/33")) { try IPv4Network(parsing: "1.2.3.0/33") }
        #expect(throws: IPAddressParseError(.invalidPrefixLength, text: "::/129")) { try IPv6Network(parsing: "::/129") }
        #expect(throws: IPAddressParseError(.invalidPrefixLength, text: "1.2.3.0/")) { try IPv4Network(parsing: "1.2.3.0/") }
        #expect(throws: IPAddressParseError(.invalidPrefixLength, text: "1.2.3.0/+8")) { try IPv4Network(parsing: "1.2.3.0/+8") }
    }

    @Test("Network geometry")
    func geometry() throws {
        let network = try IPv4Network(parsing: "192.0.2.0/24")
        #expect(network.lastAddress.description == "192.0.2.255")
        #expect(network.contains(try IPv4Address(parsing: "192.0.2.77")))
        #expect(!network.contains(try IPv4Address(parsing: "192.0.3.0")))
        #expect(try IPv6Network(parsing: "::/0").lastAddress.value == .max)
        #expect(try IPv4Network(parsing: "1.2.3.4").prefixLength == 32)
    }

    @Test("Ranges split into their unique minimal networks")
    func rangeSplit() throws {
        let range = try IPv4Range(parsing: "10.0.0.1 - 10.0.0.10")
        #expect(range.networks.map(\.description) == ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/31", "10.0.0.10/32"])
        #expect(try IPv4Range(parsing: "0.0.0.0-255.255.255.255").networks.map(\.description) == ["0.0.0.0/0"])
        #expect(try IPv6Range(parsing: "::-::ffff").networks.map(\.description) == ["::/112"])
        #expect(throws: IPAddressParseError(.reversedRange, text: "10.0.0.2-10.0.0.1")) { try IPv4Range(parsing: "10.0.0.2-10.0.0.1") }
    }

    @Test("Codable as text")
    func codable() throws {
        let network = try IPv6Network(parsing: "2001:db8::/32")
        let encoded = try JSONEncoder().encode([network])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["2001:db8::\/32"]"#)
        #expect(try JSONDecoder().decode([IPv6Network].self, from: encoded) == [network])
    }
}

import Foundation

@Suite("Kernel element text")
struct ElementTextTests {
    @Test("ipset entries spell out every length and split a /0; nft elements write single addresses bare")
    func elements() throws {
        var bytes: [UInt8] = []
        let all = try CIDRSet(parsing: ["0.0.0.0/0", "::/0"])
        for family in IPAddressFamily.allCases {
            HashNetEntries(all, layout: HashNetLayout(minimal: all.prefixHistogram(family), family: family))
                .appendText(before: Array("add s ".utf8), after: [10], to: &bytes)
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "add s 0.0.0.0/1\nadd s 128.0.0.0/1\nadd s ::/1\nadd s 8000::/1\n")
        bytes = []
        try CIDRSet(parsing: ["10.0.0.1", "10.0.0.4-10.0.0.9"]).appendIntervalElements(.ipv4, before: [], after: [44], to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "10.0.0.1,10.0.0.4-10.0.0.9,")
        bytes = []
        let single = try CIDRSet(parsing: ["10.0.0.1"])
        HashNetEntries(single, layout: HashNetLayout(minimal: single.prefixHistogram(.ipv4), family: .ipv4))
            .appendText(before: [], after: [], to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "10.0.0.1/32")
    }
}
