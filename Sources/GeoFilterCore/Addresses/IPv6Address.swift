/// An IPv6 address: a 128-bit value, written in RFC 5952 canonical text.
public struct IPv6Address: IPAddressProtocol {
    /// The address as one integer, the first group in the most significant bits.
    public var value: UInt128

    public static var family: IPAddressFamily { .ipv6 }

    /// Creates the address with the given value.
    @inlinable public init(_ value: UInt128) { self.value = value }

    /// Parses any RFC 4291 text form exactly as glibc's `inet_pton(AF_INET6, ...)` does:
    /// one `::` at most, groups of one to four hex digits, an optional dotted IPv4 tail.
    ///
    /// - Throws: ``IPAddressParseError`` naming the text and the reason.
    public init(parsing text: some StringProtocol) throws(IPAddressParseError) {
        let string = String(text)
        do {
            let span = string.utf8.span
            value = try AddressParser.ipv6(span, from: 0, to: span.count)
        } catch {
            throw IPAddressParseError(error, text: string)
        }
    }

    /// The IPv4-mapped address `::ffff:a.b.c.d` of an IPv4 address.
    public init(ipv4Mapped address: IPv4Address) {
        value = UInt128(0xffff) << 32 | UInt128(address.value)
    }

    /// The embedded IPv4 address when this is an IPv4-mapped address (`::ffff:0:0/96`).
    public var ipv4Mapped: IPv4Address? {
        value >> 32 == 0xffff ? IPv4Address(UInt32(truncatingIfNeeded: value)) : nil
    }

    /// The sixteen bytes, most significant first.
    public var bytes: [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: value >> (8 * (15 - $0))) }
    }

    /// RFC 5952 canonical text, byte for byte as glibc's `inet_ntop` writes it.
    public var description: String { AddressFormatter.ipv6String(value) }
}
