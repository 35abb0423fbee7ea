/// An immutable, canonical set of IPv4 and IPv6 addresses.
///
/// Build it from any mix of networks, ranges and single addresses (overlapping, adjacent,
/// repeated, in any order) with ``Builder`` or the sequence initialisers; read it back as the
/// minimal list of networks (what ipset `hash:net` holds) or the minimal list of ranges (what
/// an nftables interval set holds). Canonical means that two sets holding the same addresses
/// are equal and have the same lists, whatever the input order or overlap.
///
/// The two families are kept apart: an IPv4-mapped IPv6 network is IPv6 space.
public struct CIDRSet: Hashable, Sendable {
    var v4: RangeList<UInt32>
    var v6: RangeList<UInt128>

    init(v4: RangeList<UInt32>, v6: RangeList<UInt128>) {
        self.v4 = v4
        self.v6 = v6
    }

    /// The empty set.
    public init() {
        self.init(v4: RangeList(), v6: RangeList())
    }

    /// Every IPv4 and every IPv6 address.
    public static let all = CIDRSet().complement()

    /// The set of the given networks.
    ///
    /// - Complexity: O(n log n).
    public init<Address>(_ networks: some Sequence<IPNetwork<Address>>) {
        var builder = Builder()
        for network in networks { builder.insert(network) }
        self = builder.build()
    }

    /// The set of the given ranges.
    ///
    /// - Complexity: O(n log n).
    public init<Address>(_ ranges: some Sequence<IPAddressRange<Address>>) {
        var builder = Builder()
        for range in ranges { builder.insert(range) }
        self = builder.build()
    }

    /// Parses each text as a network (`a/len`), a range (`a-b`) or a single address (a `#`
    /// starts a comment).
    ///
    /// - Parameter maskingHostBits: clear host bits of networks instead of throwing.
    /// - Throws: ``IPAddressParseError`` for the first text that is not valid.
    public init(parsing texts: some Sequence<some StringProtocol>, maskingHostBits: Bool = false)
        throws(IPAddressParseError)
    {
        var builder = Builder()
        for text in texts {
            let string = String(text)
            do throws(IPAddressParseError.Reason) {
                let span = string.utf8.span
                guard try builder.insert(line: span, from: 0, to: span.count, maskingHostBits: maskingHostBits) else {
                    throw IPAddressParseError.Reason.empty
                }
            } catch {
                throw IPAddressParseError(error, text: string)
            }
        }
        self = builder.build()
    }

    /// Whether the set holds no address.
    public var isEmpty: Bool { v4.isEmpty && v6.isEmpty }

    /// Whether the set holds `address`.
    ///
    /// - Complexity: O(log n) in the number of ranges of the address's family.
    public func contains(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let a): v4.contains(a.value)
        case .v6(let a): v6.contains(a.value)
        }
    }

    /// Whether the set holds the IPv4 `address`.
    public func contains(_ address: IPv4Address) -> Bool { v4.contains(address.value) }

    /// Whether the set holds the IPv6 `address`.
    public func contains(_ address: IPv6Address) -> Bool { v6.contains(address.value) }

    /// The addresses of one family only.
    public func restricted(to family: IPAddressFamily) -> CIDRSet {
        family == .ipv4 ? CIDRSet(v4: v4, v6: RangeList()) : CIDRSet(v4: RangeList(), v6: v6)
    }
}
