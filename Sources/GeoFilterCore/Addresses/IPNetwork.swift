/// A network (a CIDR prefix): an address whose bits past `prefixLength` are zero.
///
/// `IPv4Network` and `IPv6Network` are the two instances. Text is `address/length`.
public struct IPNetwork<Address: IPAddressProtocol>: Hashable, Comparable, Sendable,
    LosslessStringConvertible, Codable
{
    /// The first address of the network (host bits zero).
    public let address: Address
    /// The number of leading bits that are fixed: 0 ... 32 (IPv4) or 0 ... 128 (IPv6).
    public let prefixLength: Int

    /// Creates a network, refusing an address with host bits set.
    ///
    /// - Throws: ``IPAddressParseError`` with ``IPAddressParseError/Reason/hostBitsSet`` or
    ///   ``IPAddressParseError/Reason/invalidPrefixLength``.
    public init(address: Address, prefixLength: Int) throws(IPAddressParseError) {
        let text = "\(address)/\(prefixLength)"
        guard (0...Address.bitWidth).contains(prefixLength) else {
            throw IPAddressParseError(.invalidPrefixLength, text: text)
        }
        guard address.value & Address.Value.hostMask(prefixLength: prefixLength) == 0 else {
            throw IPAddressParseError(.hostBitsSet, text: text)
        }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Creates the network of the given length that contains `address`, clearing host bits.
    ///
    /// - Precondition: `prefixLength` is within 0 ... the family's bit width.
    public init(masking address: Address, prefixLength: Int) {
        precondition((0...Address.bitWidth).contains(prefixLength), "prefix length out of range")
        self.address = Address(address.value & ~Address.Value.hostMask(prefixLength: prefixLength))
        self.prefixLength = prefixLength
    }

    /// The network holding exactly one address (a /32 or /128).
    public init(host address: Address) {
        self.address = address
        self.prefixLength = Address.bitWidth
    }

    /// Parses `address/length`, or a bare address as a single-host network.
    ///
    /// - Parameter maskingHostBits: clear bits past the prefix length instead of throwing.
    /// - Throws: ``IPAddressParseError`` naming the text and the reason.
    public init(parsing text: some StringProtocol, maskingHostBits: Bool = false) throws(IPAddressParseError) {
        let string = String(text)
        guard let slash = string.firstIndex(of: "/") else {
            self.init(host: try Address(parsing: string))
            return
        }
        let address = try Address(parsing: string[..<slash])
        let lengthText = string[string.index(after: slash)...]
        guard lengthText.utf8.count <= 3, let length = Int(lengthText),
            lengthText.utf8.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
            (0...Address.bitWidth).contains(length)
        else { throw IPAddressParseError(.invalidPrefixLength, text: string) }
        if maskingHostBits {
            self.init(masking: address, prefixLength: length)
        } else {
            do { try self.init(address: address, prefixLength: length) } catch {
                throw IPAddressParseError(error.reason, text: string)
            }
        }
    }

    public init?(_ description: String) {
        guard let parsed = try? Self(parsing: description) else { return nil }
        self = parsed
    }

    /// The last address in the network.
    public var lastAddress: Address {
        Address(address.value | Address.Value.hostMask(prefixLength: prefixLength))
    }

    /// The network as a range of addresses.
    public var range: IPAddressRange<Address> {
        IPAddressRange(uncheckedFirst: address, last: lastAddress)
    }

    /// Whether the network contains `address`.
    public func contains(_ other: Address) -> Bool {
        other.value & ~Address.Value.hostMask(prefixLength: prefixLength) == address.value
    }

    /// `address/length`.
    public var description: String { "\(address)/\(prefixLength)" }

    /// Ordered by address, then the shorter (larger) network first.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.address, lhs.prefixLength) < (rhs.address, rhs.prefixLength)
    }

    public init(from decoder: any Decoder) throws {
        self = try Self(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 network such as `192.0.2.0/24`.
public typealias IPv4Network = IPNetwork<IPv4Address>
/// An IPv6 network such as `2001:db8::/32`.
public typealias IPv6Network = IPNetwork<IPv6Address>
