/// Byte-level address parsers that accept exactly what glibc's `inet_pton` accepts.
///
/// They read `bytes[start..<end]` of a span, so line-oriented readers can parse fields in
/// place without making strings. The structure mirrors glibc's `inet_pton4`/`inet_pton6`
/// (resolv/inet_pton.c), which is the oracle the tests compare against.
enum AddressParser {
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")

    /// Parses a dotted-decimal IPv4 address: four parts of 0-255, no leading zeros.
    @inline(__always)
    static func ipv4(
        _ bytes: Span<UInt8>, from start: Int, to end: Int
    ) throws(IPAddressParseError.Reason) -> UInt32 {
        var parts = 0
        var sawDigit = false
        var part: UInt32 = 0
        var result: UInt32 = 0
        var index = start
        while index < end {
            let byte = bytes[index]
            index += 1
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                if sawDigit && part == 0 { throw .leadingZero }
                part = part &* 10 &+ UInt32(digit)
                if part > 255 { throw .octetOutOfRange }
                if !sawDigit {
                    parts += 1
                    if parts > 4 { throw .wrongNumberOfParts }
                    sawDigit = true
                }
            } else if byte == dot && sawDigit {
                if parts == 4 { throw .wrongNumberOfParts }
                result = result << 8 | part
                part = 0
                sawDigit = false
            } else {
                throw start == end ? .empty : .unexpectedCharacter
            }
        }
        if start == end { throw .empty }
        if parts < 4 { throw .wrongNumberOfParts }
        return result << 8 | part
    }

    /// Parses an IPv6 address in any RFC 4291 text form, including `::` compression and an
    /// embedded dotted-decimal IPv4 tail (`::ffff:1.2.3.4`).
    static func ipv6(
        _ bytes: Span<UInt8>, from start: Int, to end: Int
    ) throws(IPAddressParseError.Reason) -> UInt128 {
        var index = start
        if index == end { throw .empty }
        if bytes[index] == colon {
            index += 1
            if index == end || bytes[index] != colon { throw .strayColon }
        }
        var tokenStart = index
        var digits = 0
        var group: UInt32 = 0
        var groups = 0  // 16-bit groups written so far
        var written: UInt128 = 0  // the groups written, the last one in the low 16 bits
        var doubleColonAt = -1  // number of groups written before '::'
        while index < end {
            let byte = bytes[index]
            index += 1
            if let digit = hexValue(byte) {
                if digits == 4 { throw .groupTooLong }
                group = group << 4 | digit
                digits += 1
                continue
            }
            if byte == colon {
                tokenStart = index
                if digits == 0 {
                    if doubleColonAt >= 0 { throw .misplacedDoubleColon }
                    doubleColonAt = groups
                    continue
                }
                if index == end { throw .strayColon }
                if groups == 8 { throw .wrongNumberOfGroups }
                written = written << 16 | UInt128(group)
                groups += 1
                digits = 0
                group = 0
                continue
            }
            if byte == dot && groups <= 6,
                let tail = try? ipv4(bytes, from: tokenStart, to: end)
            {
                written = written << 32 | UInt128(tail)
                groups += 2
                digits = 0
                break
            }
            throw .unexpectedCharacter
        }
        if digits > 0 {
            if groups == 8 { throw .wrongNumberOfGroups }
            written = written << 16 | UInt128(group)
            groups += 1
        }
        guard doubleColonAt >= 0 else {
            if groups != 8 { throw .wrongNumberOfGroups }
            return written
        }
        if groups == 8 { throw .misplacedDoubleColon }
        let after = groups - doubleColonAt
        let tail = written & (UInt128.max >> (128 - 16 * after))
        let head = written >> (16 * after)
        return head << (16 * (8 - doubleColonAt)) | tail
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt32? {
        let digit = byte &- UInt8(ascii: "0")
        if digit < 10 { return UInt32(digit) }
        let letter = (byte | 0x20) &- UInt8(ascii: "a")
        if letter < 6 { return UInt32(letter) + 10 }
        return nil
    }

    /// Parses a decimal prefix length of at most `maximum` (one to three digits).
    @inline(__always)
    static func prefixLength(
        _ bytes: Span<UInt8>, from start: Int, to end: Int, maximum: Int
    ) throws(IPAddressParseError.Reason) -> Int {
        guard end > start, end - start <= 3 else { throw .invalidPrefixLength }
        var value = 0
        for index in start..<end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw .invalidPrefixLength }
            value = value * 10 + Int(digit)
        }
        guard value <= maximum else { throw .invalidPrefixLength }
        return value
    }
}
