/// One entry of an address list, as integers.
enum ListEntry {
    case ipv4(UInt32, UInt32)
    case ipv6(UInt128, UInt128)
}

extension CIDRSet.Builder {
    /// Parses one line of an address list (see ``ListEntry/parse(line:from:to:maskingHostBits:)``)
    /// and adds its entry. Returns false for a line with no entry (blank or comment).
    ///
    /// - Throws: the reason the entry is not valid.
    @inline(__always)
    mutating func insert(
        line bytes: Span<UInt8>, from start: Int, to end: Int, maskingHostBits: Bool
    ) throws(IPAddressParseError.Reason) -> Bool {
        switch try ListEntry.parse(line: bytes, from: start, to: end, maskingHostBits: maskingHostBits) {
        case .ipv4(let low, let high): insertIPv4(low, high)
        case .ipv6(let low, let high): insertIPv6(low, high)
        case nil: return false
        }
        return true
    }
}

extension ListEntry {
    /// Parses one line of an address list and adds its entry: a network `a/len`, a range
    /// `a-b` (spaces or tabs around `-` allowed) or a single address, of either family;
    /// a `#` starts a comment. Returns nil for a line with no entry (blank or comment).
    ///
    /// One pass finds the comment, the delimiters and the family; the address parsers then
    /// read the fields in place.
    /// - Throws: the reason the entry is not valid.
    @inline(__always)
    static func parse(
        line bytes: Span<UInt8>, from start: Int, to end: Int, maskingHostBits: Bool
    ) throws(IPAddressParseError.Reason) -> ListEntry? {
        var dash = -1
        var slash = -1
        var colonBeforeDash = false
        var colonAfterDash = false
        var stop = start
        while stop < end {
            let byte = bytes[stop]
            // Digits and dots are most of the bytes: one cheap test keeps the loop tight.
            if byte &- UInt8(ascii: "0") >= 10 && byte != UInt8(ascii: ".") {
                if byte == UInt8(ascii: ":") {
                    if dash < 0 { colonBeforeDash = true } else { colonAfterDash = true }
                } else if byte == UInt8(ascii: "-") {
                    if dash < 0 { dash = stop }
                } else if byte == UInt8(ascii: "/") {
                    if slash < 0 { slash = stop }
                } else if byte == UInt8(ascii: "#") {
                    break
                }
            }
            stop += 1
        }
        let first = trimStart(bytes, start, stop)
        let last = trimEnd(bytes, first, stop)
        guard first < last else { return nil }
        if dash >= 0 {
            let firstEnd = trimEnd(bytes, first, dash)
            let lastStart = trimStart(bytes, dash + 1, last)
            guard colonBeforeDash == colonAfterDash else { throw .mixedFamilies }
            if colonBeforeDash {
                let low = try UInt128.parseAddress(bytes, from: first, to: firstEnd)
                let high = try UInt128.parseAddress(bytes, from: lastStart, to: last)
                guard low <= high else { throw .reversedRange }
                return .ipv6(low, high)
            } else {
                let low = try UInt32.parseAddress(bytes, from: first, to: firstEnd)
                let high = try UInt32.parseAddress(bytes, from: lastStart, to: last)
                guard low <= high else { throw .reversedRange }
                return .ipv4(low, high)
            }
        } else if colonBeforeDash {
            let (low, high) = try Self.network(UInt128.self, bytes, first, last, slash, maskingHostBits)
            return .ipv6(low, high)
        } else {
            let (low, high) = try Self.network(UInt32.self, bytes, first, last, slash, maskingHostBits)
            return .ipv4(low, high)
        }
    }

    @inline(__always)
    private static func network<V: AddressValue>(
        _: V.Type, _ bytes: Span<UInt8>, _ start: Int, _ end: Int, _ slash: Int, _ masking: Bool
    ) throws(IPAddressParseError.Reason) -> (V, V) {
        guard slash >= 0 else {
            let address = try V.parseAddress(bytes, from: start, to: end)
            return (address, address)
        }
        var address = try V.parseAddress(bytes, from: start, to: slash)
        let length = try AddressParser.prefixLength(bytes, from: slash + 1, to: end, maximum: V.bitWidth)
        let hostMask = V.hostMask(prefixLength: length)
        if address & hostMask != 0 {
            guard masking else { throw .hostBitsSet }
            address &= ~hostMask
        }
        return (address, address | hostMask)
    }
}

@inline(__always)
func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

/// The end of `bytes[start..<end]` without trailing spaces and tabs.
@inline(__always)
func trimEnd(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> Int {
    var end = end
    while end > start && isBlank(bytes[end - 1]) { end -= 1 }
    return end
}

/// The start of `bytes[start..<end]` without leading spaces and tabs.
@inline(__always)
func trimStart(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> Int {
    var start = start
    while start < end && isBlank(bytes[start]) { start += 1 }
    return start
}
