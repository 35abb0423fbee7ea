/// An address of either family.
public enum IPAddress: Hashable, Comparable, Sendable, LosslessStringConvertible, Codable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 dotted-decimal or IPv6 text (a text with a `:` is read as IPv6).
    ///
    /// An IPv4-mapped IPv6 address such as `::ffff:1.2.3.4` stays an IPv6 address: GeoFilter
    /// never changes an address's family implicitly.
    /// - Throws: ``IPAddressParseError`` naming the text and the reason.
    public init(parsing text: some StringProtocol) throws(IPAddressParseError) {
        if text.utf8.contains(AddressParser.colon) {
            self = .v6(try IPv6Address(parsing: text))
        } else {
            self = .v4(try IPv4Address(parsing: text))
        }
    }

    public init?(_ description: String) {
        guard let parsed = try? IPAddress(parsing: description) else { return nil }
        self = parsed
    }

    /// The family of the address.
    public var family: IPAddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// IPv4 addresses order before IPv6 addresses; within a family, by value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try IPAddress(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
