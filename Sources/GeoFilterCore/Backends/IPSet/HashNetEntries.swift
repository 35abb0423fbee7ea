/// The entries of one family's `hash:net` set, as libipset takes them: big-endian addresses
/// (4 or 16 bytes each) and prefix lengths.
struct HashNetEntries {
    let family: IPAddressFamily
    var addresses: [UInt8] = []
    var lengths: [UInt8] = []

    var count: Int { lengths.count }

    /// The networks of `set`'s `family` written with `layout`'s lengths (a /0, which
    /// `hash:net` cannot hold, as its two halves).
    init(_ set: CIDRSet, layout: HashNetLayout) {
        family = layout.family
        switch family {
        case .ipv4: append(set.v4, targets: layout.targets)
        case .ipv6: append(set.v6, targets: layout.targets)
        }
    }

    /// A single network.
    init(_ network: IPv4Network) {
        family = .ipv4
        addresses = withUnsafeBytes(of: network.address.value.bigEndian) { Array($0) }
        lengths = [UInt8(network.prefixLength)]
    }

    private mutating func append<V: AddressValue>(_ list: RangeList<V>, targets: [Int]) {
        list.forEachRange { low, high in
            PrefixSplitter.split(low, high) { start, length in
                let pieces = length == 0 ? [(V(0), 1), (V(1) << (V.bitWidth - 1), 1)] : [(start, length)]
                for (first, bits) in pieces {
                    let target = targets[bits]
                    let step = V(1) << (V.bitWidth - target)
                    var address = first
                    for _ in 0..<(1 << (target - bits)) {
                        withUnsafeBytes(of: address.bigEndian) { addresses.append(contentsOf: $0) }
                        lengths.append(UInt8(target))
                        address &+= step
                    }
                }
            }
        }
    }
}

extension HashNetEntries {
    /// Appends each entry as `address/length` text between `before` and `after`.
    func appendText(before: [UInt8], after: [UInt8], to output: inout [UInt8]) {
        let width = family == .ipv4 ? 4 : 16
        for index in 0..<count {
            output.append(contentsOf: before)
            let bytes = addresses[index * width..<(index + 1) * width]
            if family == .ipv4 {
                UInt32(bigEndianBytes: bytes).appendAddressText(to: &output)
            } else {
                UInt128(bigEndianBytes: bytes).appendAddressText(to: &output)
            }
            output.append(UInt8(ascii: "/"))
            AddressFormatter.appendDecimal(lengths[index], to: &output)
            output.append(contentsOf: after)
        }
    }
}

extension FixedWidthInteger where Self: UnsignedInteger {
    /// The integer whose big-endian bytes are `bytes` (exactly `bitWidth / 8` of them).
    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        var value: Self = 0
        for byte in bytes { value = value << 8 | Self(byte) }
        self = value
    }
}

extension FirewallPlan {
    /// The `hash:net` entries of a set of the plan.
    func hashNetEntries(_ role: PlanSet, _ family: IPAddressFamily, reduction: PrefixReduction?) -> HashNetEntries {
        HashNetEntries(addresses(of: role, family, for: .prefixes), layout: hashNetLayout(role, family, reduction: reduction))
    }
}
