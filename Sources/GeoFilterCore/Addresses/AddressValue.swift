/// The integer types behind addresses (`UInt32` for IPv4, `UInt128` for IPv6), with the
/// text routines of their family, so range and prefix code is written once for both.
protocol AddressValue: FixedWidthInteger, UnsignedInteger, Sendable {
    /// The family whose addresses have this value type.
    static var family: IPAddressFamily { get }
    /// Parses an address of this family from `bytes[start..<end]`.
    static func parseAddress(
        _ bytes: Span<UInt8>, from start: Int, to end: Int
    ) throws(IPAddressParseError.Reason) -> Self
    /// Appends the canonical text of the address.
    func appendAddressText(to output: inout [UInt8])
}

extension UInt32: AddressValue {
    static var family: IPAddressFamily { .ipv4 }

    @inline(__always)
    static func parseAddress(
        _ bytes: Span<UInt8>, from start: Int, to end: Int
    ) throws(IPAddressParseError.Reason) -> UInt32 {
        try AddressParser.ipv4(bytes, from: start, to: end)
    }

    @inline(__always)
    func appendAddressText(to output: inout [UInt8]) {
        AddressFormatter.appendIPv4(self, to: &output)
    }
}

extension UInt128: AddressValue {
    static var family: IPAddressFamily { .ipv6 }

    @inline(__always)
    static func parseAddress(
        _ bytes: Span<UInt8>, from start: Int, to end: Int
    ) throws(IPAddressParseError.Reason) -> UInt128 {
        try AddressParser.ipv6(bytes, from: start, to: end)
    }

    @inline(__always)
    func appendAddressText(to output: inout [UInt8]) {
        AddressFormatter.appendIPv6(self, to: &output)
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    /// The mask of the host bits below a prefix of `length` bits (all ones for length 0).
    @inline(__always)
    static func hostMask(prefixLength length: Int) -> Self {
        length >= bitWidth ? 0 : Self.max >> length
    }
}
