extension CIDRSet.Builder {
    /// Parses one entry from `bytes[start..<end]` and adds it: a network `a/len`, a range
    /// `a-b` (spaces or tabs around `-` allowed) or a single address, of either family.
    ///
    /// - Throws: the reason the entry is not valid.
    @inline(__always)
    mutating func insert(
        parsing bytes: Span<UInt8>, from start: Int, to end: Int, maskingHostBits: Bool
    ) throws(IPAddressParseError.Reason) {
        var dash = -1
        var slash = -1
        var isIPv6 = false
        var index = start
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: ":"): isIPv6 = true
            case UInt8(ascii: "-"): if dash < 0 { dash = index }
            case UInt8(ascii: "/"): if slash < 0 { slash = index }
            default: break
            }
            index += 1
        }
        if dash >= 0 {
            let firstEnd = trimEnd(bytes, start, dash)
            let lastStart = trimStart(bytes, dash + 1, end)
            let firstIsIPv6 = containsColon(bytes, start, firstEnd)
            guard firstIsIPv6 == containsColon(bytes, lastStart, end) else { throw .mixedFamilies }
            if firstIsIPv6 {
                let first = try UInt128.parseAddress(bytes, from: start, to: firstEnd)
                let last = try UInt128.parseAddress(bytes, from: lastStart, to: end)
                guard first <= last else { throw .reversedRange }
                insertIPv6(first, last)
            } else {
                let first = try UInt32.parseAddress(bytes, from: start, to: firstEnd)
                let last = try UInt32.parseAddress(bytes, from: lastStart, to: end)
                guard first <= last else { throw .reversedRange }
                insertIPv4(first, last)
            }
        } else if isIPv6 {
            let (low, high) = try Self.network(UInt128.self, bytes, start, end, slash, maskingHostBits)
            insertIPv6(low, high)
        } else {
            let (low, high) = try Self.network(UInt32.self, bytes, start, end, slash, maskingHostBits)
            insertIPv4(low, high)
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

/// Whether `bytes[start..<end]` contains a `:` (an IPv6 address).
@inline(__always)
func containsColon(_ bytes: Span<UInt8>, _ start: Int, _ end: Int) -> Bool {
    var index = start
    while index < end {
        if bytes[index] == UInt8(ascii: ":") { return true }
        index += 1
    }
    return false
}
