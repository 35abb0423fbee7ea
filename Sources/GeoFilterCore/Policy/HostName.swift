/// A DNS host name as RFC 1123 allows it: `sip.example.net`, fully qualified, ASCII, compared
/// case-insensitively (kept in lower case).
///
/// Rules checked by ``init(parsing:)``: at least two labels (names are resolved through DNS
/// as given, with no search domains, so `pbx` alone would be ambiguous); each label 1 to 63
/// letters, digits or hyphens, not starting or ending with a hyphen; at most 253 characters
/// (one trailing dot, the root, is accepted and dropped); the last label is not all digits, so
/// a mistyped address such as `10.0.0.300` is never taken for a name. Internationalised names
/// are given in their ASCII form (`xn--...`).
public struct HostName: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The labels, lower case, most specific first (`sip`, `example`, `net`).
    public let labels: [String]

    /// The longest name accepted, without the trailing dot (RFC 1035: 255 octets on the wire).
    public static let maximumLength = 253
    /// The longest label (RFC 1035).
    public static let maximumLabelLength = 63

    /// Checks and normalises a host name.
    ///
    /// - Throws: ``GeoFilterError`` (`.invalidInput`) saying what is wrong with the name.
    public init(parsing text: some StringProtocol) throws(GeoFilterError) {
        labels = try Self.labels(of: text, allowingServiceLabels: false)
    }

    /// Labels already checked.
    init(checkedLabels: [String]) { labels = checkedLabels }

    /// The name, lower case, without a trailing dot.
    public var description: String { labels.joined(separator: ".") }

    public static func < (lhs: HostName, rhs: HostName) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        self = try HostName(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The checked, lower-cased labels of `text`.
    ///
    /// - Parameter allowingServiceLabels: whether labels may start with one underscore (the
    ///   `_sip._udp` labels of an SRV name, RFC 2782); a host name never has them.
    static func labels(of text: some StringProtocol, allowingServiceLabels: Bool) throws(GeoFilterError) -> [String] {
        var bytes = Array(text.utf8)
        let shown = String(decoding: bytes.prefix(300), as: UTF8.self)
        func refuse(_ why: String) -> GeoFilterError {
            GeoFilterError(.invalidInput, "'\(shown)' is not a valid DNS name: \(why)")
        }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw refuse("it is empty") }
        guard bytes.count <= maximumLength else { throw refuse("it has \(bytes.count) characters; at most \(maximumLength) are allowed") }
        var labels: [String] = []
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw refuse("it has an empty label (two dots in a row, or a leading dot)") }
            guard label.count <= maximumLabelLength else {
                throw refuse("the label '\(String(decoding: label, as: UTF8.self))' has \(label.count) characters; at most \(maximumLabelLength) are allowed")
            }
            var body = label[...]
            if allowingServiceLabels && body.first == UInt8(ascii: "_") { body = body.dropFirst() }
            for byte in body where !(isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "-")) {
                let character = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "a byte 0x\(String(byte, radix: 16))"
                throw refuse("it contains \(character); labels are letters, digits and hyphens (RFC 1123)")
            }
            guard let first = body.first, let last = body.last, first != UInt8(ascii: "-"), last != UInt8(ascii: "-") else {
                throw refuse("a label starts or ends with a hyphen, or is only an underscore")
            }
            labels.append(String(decoding: label.map(lowercased), as: UTF8.self))
        }
        guard labels.count >= 2 else {
            throw refuse("give a fully qualified name (sip.example.net): names are looked up in DNS as given, with no search domains")
        }
        if labels.last!.utf8.allSatisfy(isDigit) {
            throw refuse("the last label is all digits, so it reads as a mistyped IPv4 address")
        }
        return labels
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}

/// A trusted or provider entry given by name: a host whose A and AAAA records are the
/// addresses, or an SRV service name whose targets' A and AAAA records are.
///
/// Text form (``init(parsing:)``, policy files, the demo's `--provider`): `sip.example.net`
/// for a host; `_sip._udp.example.net` (RFC 2782 owner name: `_service._udp` or
/// `_service._tcp`, then the domain) for an SRV service.
public enum HostEntry: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// A host: its A and AAAA records.
    case host(HostName)
    /// An SRV service (`_sip._udp.example.net`): the A and AAAA records of its targets.
    case service(name: String, transport: TransportProtocol, domain: HostName)

    /// Parses a host name or an SRV service name (one that starts with `_`).
    ///
    /// - Throws: ``GeoFilterError`` (`.invalidInput`) saying what is wrong.
    public init(parsing text: some StringProtocol) throws(GeoFilterError) {
        guard text.utf8.first == UInt8(ascii: "_") else {
            self = .host(try HostName(parsing: text))
            return
        }
        let labels = try HostName.labels(of: text, allowingServiceLabels: true)
        guard labels.count >= 4, labels[0].utf8.count <= 16, let transport = TransportProtocol(rawValue: String(labels[1].dropFirst())),
            labels[1].hasPrefix("_"), labels[2...].allSatisfy({ !$0.hasPrefix("_") })
        else {
            throw GeoFilterError(
                .invalidInput,
                "'\(text)' is not a valid SRV service name: write _SERVICE._udp.DOMAIN or _SERVICE._tcp.DOMAIN (_sip._udp.example.net), the service at most 15 characters")
        }
        self = .service(name: String(labels[0].dropFirst()), transport: transport, domain: HostName(checkedLabels: Array(labels[2...])))
    }

    /// The name queried first: the host, or the SRV owner name.
    public var description: String {
        switch self {
        case .host(let name): name.description
        case .service(let name, let transport, let domain): "_\(name)._\(transport.rawValue).\(domain)"
        }
    }

    /// Whether this is an SRV service name.
    public var isService: Bool {
        if case .service = self { true } else { false }
    }

    public static func < (lhs: HostEntry, rhs: HostEntry) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        self = try HostEntry(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A trusted or provider entry as written: a network (or single address), or a name.
public enum ExemptionEntry: Sendable, Hashable, CustomStringConvertible {
    case network(IPAnyNetwork)
    case name(HostEntry)

    /// Reads an entry: text with a `:`, or only digits, dots and a `/`, is a network; anything
    /// else must be a valid DNS name (``HostEntry/init(parsing:)``).
    ///
    /// - Parameter role: `trusted` or `provider`, for the error.
    /// - Throws: ``GeoFilterError`` (`.invalidInput`) naming the entry and what is wrong.
    public init(parsing text: some StringProtocol, role: String) throws(GeoFilterError) {
        let looksNumeric = text.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }
        if text.utf8.contains(UInt8(ascii: ":")) || (looksNumeric && !text.isEmpty) {
            do throws(IPAddressParseError) {
                self = .network(try IPAnyNetwork(parsing: String(text)))
            } catch {
                throw GeoFilterError(.invalidInput, "\(role) network \(error)")
            }
            return
        }
        do throws(GeoFilterError) {
            self = .name(try HostEntry(parsing: text))
        } catch {
            throw GeoFilterError(.invalidInput, "\(role) entry \(error.message)")
        }
    }

    public var description: String {
        switch self {
        case .network(let network): network.description
        case .name(let name): name.description
        }
    }
}
