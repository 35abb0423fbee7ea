/// How an address list is written.
public enum CIDRListStyle: String, Sendable, CaseIterable {
    /// The minimal networks, `a/len`; a single address (/32, /128) is written bare, as
    /// `iprange` does.
    case networks
    /// The minimal ranges, `first-last`, a single address as `a-a`, as `iprange -j` does.
    case ranges
}

extension CIDRSet {
    /// Writes the set as text, one entry per line: IPv4 first, then IPv6, each ascending.
    ///
    /// - Parameter write: receives the text in chunks of at most about 256 KiB.
    public func writeList(
        style: CIDRListStyle, _ write: ([UInt8]) throws(GeoFilterError) -> Void
    ) throws(GeoFilterError) {
        var output: [UInt8] = []
        output.reserveCapacity(1 << 18 + 128)
        try Self.append(v4, style: style, to: &output, write)
        try Self.append(v6, style: style, to: &output, write)
        if !output.isEmpty { try write(output) }
    }

    /// The set as text (see ``writeList(style:_:)``).
    public func listText(style: CIDRListStyle) -> String {
        var text: [UInt8] = []
        try! writeList(style: style) { chunk in text.append(contentsOf: chunk) }
        return String(decoding: text, as: UTF8.self)
    }

    private static func append<V: AddressValue>(
        _ list: RangeList<V>, style: CIDRListStyle, to output: inout [UInt8],
        _ write: ([UInt8]) throws(GeoFilterError) -> Void
    ) throws(GeoFilterError) {
        for index in 0..<list.count {
            let low = list.lows[index]
            let high = list.highs[index]
            switch style {
            case .ranges:
                low.appendAddressText(to: &output)
                output.append(UInt8(ascii: "-"))
                high.appendAddressText(to: &output)
                output.append(UInt8(ascii: "\n"))
            case .networks:
                PrefixSplitter.split(low, high) { start, length in
                    start.appendAddressText(to: &output)
                    if length != V.bitWidth {
                        output.append(UInt8(ascii: "/"))
                        appendLength(length, to: &output)
                    }
                    output.append(UInt8(ascii: "\n"))
                }
            }
            if output.count >= 1 << 18 {
                try write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
    }

    @inline(__always)
    fileprivate static func appendLength(_ length: Int, to output: inout [UInt8]) {
        AddressFormatter.appendDecimal(UInt8(length), to: &output)
    }
}
