/// Writes addresses as text, byte for byte as glibc's `inet_ntop` does (RFC 5952 for IPv6:
/// lower-case hex, the longest run of two or more zero groups as `::`, the first run on a
/// tie, and a dotted IPv4 tail for IPv4-compatible `::a.b.c.d` and mapped `::ffff:a.b.c.d`).
enum AddressFormatter {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `a.b.c.d`.
    @inline(__always)
    static func appendIPv4(_ value: UInt32, to output: inout [UInt8]) {
        appendDecimal(UInt8(truncatingIfNeeded: value >> 24), to: &output)
        output.append(AddressParser.dot)
        appendDecimal(UInt8(truncatingIfNeeded: value >> 16), to: &output)
        output.append(AddressParser.dot)
        appendDecimal(UInt8(truncatingIfNeeded: value >> 8), to: &output)
        output.append(AddressParser.dot)
        appendDecimal(UInt8(truncatingIfNeeded: value), to: &output)
    }

    /// Appends the decimal digits of `value` (no leading zeros).
    @inline(__always)
    static func appendDecimal(_ value: UInt8, to output: inout [UInt8]) {
        if value >= 100 { output.append(UInt8(ascii: "0") + value / 100) }
        if value >= 10 { output.append(UInt8(ascii: "0") + value / 10 % 10) }
        output.append(UInt8(ascii: "0") + value % 10)
    }

    /// Appends the canonical IPv6 text.
    static func appendIPv6(_ value: UInt128, to output: inout [UInt8]) {
        @inline(__always) func group(_ index: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: value >> (16 * (7 - index)))
        }
        // The longest run of zero groups (at least two long; the first one wins a tie).
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for index in 0..<8 {
            if group(index) == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength {
                    bestStart = runStart
                    bestLength = length
                }
            } else {
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }

        var index = 0
        while index < 8 {
            if index == bestStart {
                output.append(AddressParser.colon)
                index += bestLength
                if index == 8 { output.append(AddressParser.colon) }
                continue
            }
            if index != 0 { output.append(AddressParser.colon) }
            if index == 6 && bestStart == 0
                && (bestLength == 6 || (bestLength == 5 && group(5) == 0xffff))
            {
                appendIPv4(UInt32(truncatingIfNeeded: value), to: &output)
                return
            }
            appendHex(group(index), to: &output)
            index += 1
        }
    }

    @inline(__always)
    private static func appendHex(_ value: UInt16, to output: inout [UInt8]) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = Int(value >> UInt16(shift) & 0xf)
            if nibble != 0 || started || shift == 0 {
                output.append(hexDigits[nibble])
                started = true
            }
        }
    }

    /// The text of an IPv4 address value.
    static func ipv4String(_ value: UInt32) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(15)
        appendIPv4(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text of an IPv6 address value.
    static func ipv6String(_ value: UInt128) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(45)
        appendIPv6(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
