internal import CNetfilterShim
#if canImport(Glibc)
import Glibc
#endif

/// A register of the nf_tables virtual machine. The corresponding C constants are
/// `NFT_REG_VERDICT` and `NFT_REG_1` (16 bytes).
enum NftRegister: Hashable, Sendable {
    case verdict
    case r1

    var shimValue: CNetfilterShim_nft_register {
        switch self {
        case .verdict: .verdict
        case .r1: .r1
        }
    }
}

/// The operator of a `cmp` expression (`NFT_CMP_EQ` ... `NFT_CMP_GTE`).
enum NftCmpOp: Hashable, Sendable {
    case eq, neq, lt, lte, gt, gte

    var shimValue: CNetfilterShim_nft_cmp_op {
        switch self {
        case .eq: .eq
        case .neq: .neq
        case .lt: .lt
        case .lte: .lte
        case .gt: .gt
        case .gte: .gte
        }
    }
}

/// What a `meta` expression loads (`NFT_META_IIFNAME`, `NFT_META_NFPROTO`, ...).
enum NftMetaKey: Hashable, Sendable {
    /// The input interface's name: 16 bytes, NUL-padded.
    case inputInterfaceName
    /// The packet's netfilter family: 1 byte (`NFPROTO_IPV4`, `NFPROTO_IPV6`).
    case netfilterFamily
    /// The transport protocol: 1 byte (`IPPROTO_TCP`, ...).
    case transportProtocol

    var shimValue: CNetfilterShim_nft_meta_key {
        switch self {
        case .inputInterfaceName: .iifname
        case .netfilterFamily: .nfproto
        case .transportProtocol: .l4proto
        }
    }
}

/// What a `ct` expression loads (`NFT_CT_STATE`).
enum NftConntrackKey: Hashable, Sendable {
    /// The connection state: 4 bytes, host order, one bit per state (`NF_CT_STATE_BIT`).
    case state

    var shimValue: CNetfilterShim_nft_ct_key {
        switch self {
        case .state: .state
        }
    }
}

/// The header a `payload` expression reads from (`NFT_PAYLOAD_NETWORK_HEADER`,
/// `NFT_PAYLOAD_TRANSPORT_HEADER`).
enum NftPayloadBase: Hashable, Sendable {
    case network, transport

    var shimValue: CNetfilterShim_nft_payload_base {
        switch self {
        case .network: .network
        case .transport: .transport
        }
    }
}

/// A verdict (`NF_ACCEPT`, `NF_DROP`, `NFT_JUMP`).
enum NftVerdict: Hashable, Sendable {
    case accept
    case drop
    /// Run the chain's rules, then come back.
    case jump(String)
}

/// One expression of an nf_tables rule, as the kernel runs it (the `nft --debug=netlink` view).
enum NftExpression: Hashable, Sendable {
    /// `payload load LENGTHb @ BASE header + OFFSET => REGISTER`.
    case payload(NftPayloadBase, offset: UInt32, length: UInt32, into: NftRegister)
    /// `meta load KEY => REGISTER`.
    case meta(NftMetaKey, into: NftRegister)
    /// `ct load KEY => REGISTER`.
    case conntrack(NftConntrackKey, into: NftRegister)
    /// `cmp OP REGISTER DATA`: the rule goes on only when the comparison holds.
    case cmp(NftRegister, NftCmpOp, [UInt8])
    /// `bitwise INTO = (REGISTER & MASK) ^ XOR`.
    case bitwise(NftRegister, into: NftRegister, mask: [UInt8], xor: [UInt8])
    /// `lookup REGISTER set SET`: goes on when the register's value is in the set (not in it,
    /// when `inverted`). `id` names a set added in the same batch.
    case lookup(NftRegister, set: String, id: UInt32, inverted: Bool)
    /// `lookup REGISTER set MAP dreg 0`: the register's value looked up in a verdict map, whose
    /// element's verdict applies; no match goes on.
    case verdictMap(NftRegister, map: String, id: UInt32)
    /// `counter`: counts packets and bytes.
    case counter
    /// `immediate reg 0 VERDICT`.
    case verdict(NftVerdict)
}

// MARK: - Expression groups the backend's rules are made of

extension NftExpression {
    /// `ct state established,related`: the state bits masked, then compared with zero.
    static var establishedOrRelated: [NftExpression] {
        // NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED), in host order.
        let mask: UInt32 = 1 << 1 | 1 << 2
        return [
            .conntrack(.state, into: .r1),
            .bitwise(.r1, into: .r1, mask: hostOrderBytes(mask), xor: hostOrderBytes(0)),
            .cmp(.r1, .neq, hostOrderBytes(0)),
        ]
    }

    /// `iifname "NAME"`.
    static func inputInterface(_ name: String) -> [NftExpression] {
        var bytes = Array(name.utf8.prefix(15))
        bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
        return [.meta(.inputInterfaceName, into: .r1), .cmp(.r1, .eq, bytes)]
    }

    /// The source address of `family`'s packets loaded into register 1: the family guard
    /// (an inet table sees both), then, for a port rule, the transport protocol and the
    /// destination port range (`tcp dport 5060-5061`).
    static func sourceAddress(_ family: IPAddressFamily, ports: (TransportProtocol, ClosedRange<UInt16>)?) -> [NftExpression] {
        var expressions: [NftExpression] = [.meta(.netfilterFamily, into: .r1), .cmp(.r1, .eq, [family.netfilterFamily])]
        if let (transport, range) = ports {
            expressions += [
                .meta(.transportProtocol, into: .r1), .cmp(.r1, .eq, [transport.protocolNumber]),
                // The destination port: 2 bytes at offset 2 of the TCP and UDP headers.
                .payload(.transport, offset: 2, length: 2, into: .r1),
                .cmp(.r1, .gte, bigEndianBytes(range.lowerBound)),
                .cmp(.r1, .lte, bigEndianBytes(range.upperBound)),
            ]
        }
        // The source address: 4 bytes at offset 12 of the IPv4 header, 16 at offset 8 of IPv6's.
        expressions.append(
            family == .ipv4
                ? .payload(.network, offset: 12, length: 4, into: .r1) : .payload(.network, offset: 8, length: 16, into: .r1))
        return expressions
    }

    private static func hostOrderBytes(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    private static func bigEndianBytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
}

extension IPAddressFamily {
    /// The packet family as `meta nfproto` loads it (`NFPROTO_IPV4`, `NFPROTO_IPV6`).
    var netfilterFamily: UInt8 {
        let family: CNetfilterShim_nft_family = self == .ipv4 ? .ipv4 : .ipv6
        return UInt8(truncatingIfNeeded: family.rawValue)
    }
}

extension TransportProtocol {
    /// The protocol number as `meta l4proto` loads it (`IPPROTO_TCP`, `IPPROTO_UDP`).
    var protocolNumber: UInt8 {
        switch self {
        case .tcp: UInt8(IPPROTO_TCP)
        case .udp: UInt8(IPPROTO_UDP)
        }
    }
}
