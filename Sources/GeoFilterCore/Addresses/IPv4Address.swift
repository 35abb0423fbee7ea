/// An IPv4 address: a 32-bit value, written `a.b.c.d`.
public struct IPv4Address: IPAddressProtocol {
    /// The address in host order: `1.2.3.4` is `0x01020304`.
    public var value: UInt32

    public static var family: IPAddressFamily { .ipv4 }

    /// Creates the address with the given value.
    @inlinable public init(_ value: UInt32) { self.value = value }

    /// Creates the address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-decimal text exactly as glibc's `inet_pton(AF_INET, ...)` does: four
    /// decimal parts of 0-255 without leading zeros, nothing else.
    ///
    /// - Throws: ``IPAddressParseError`` naming the text and the reason.
    public init(parsing text: some StringProtocol) throws(IPAddressParseError) {
        let string = String(text)
        do {
            let span = string.utf8.span
            value = try AddressParser.ipv4(span, from: 0, to: span.count)
        } catch {
            throw IPAddressParseError(error, text: string)
        }
    }

    /// The four bytes, most significant first.
    public var octets: [UInt8] {
        [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
    }

    /// Dotted-decimal text, as `inet_ntop` writes it.
    public var description: String { AddressFormatter.ipv4String(value) }
}
