/// What IPv4 and IPv6 addresses have in common: a fixed-width unsigned integer value,
/// canonical text, and ordering by value.
///
/// Generic code over this protocol (networks, ranges) works for both families.
public protocol IPAddressProtocol: Hashable, Comparable, Sendable, LosslessStringConvertible, Codable {
    /// The integer type that holds the address, most significant bit first.
    associatedtype Value: FixedWidthInteger & UnsignedInteger & Sendable

    /// The family of this address type.
    static var family: IPAddressFamily { get }

    /// The address as an integer in host order (`1.2.3.4` is `0x01020304`).
    var value: Value { get }

    /// Creates the address with the given integer value.
    init(_ value: Value)

    /// Parses the text form, accepting exactly what glibc's `inet_pton` accepts for the family.
    ///
    /// - Throws: ``IPAddressParseError`` naming the text and what is wrong with it.
    init(parsing text: some StringProtocol) throws(IPAddressParseError)
}

extension IPAddressProtocol {
    /// The number of bits in an address: 32 or 128.
    @inlinable public static var bitWidth: Int { Value.bitWidth }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    /// Parses the text form, or returns nil where ``init(parsing:)`` would throw.
    public init?(_ description: String) {
        guard let parsed = try? Self(parsing: description) else { return nil }
        self = parsed
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Self(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
