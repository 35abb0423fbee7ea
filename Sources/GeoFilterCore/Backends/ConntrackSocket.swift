internal import CNetfilterShim
internal import SystemPackage

/// One connection-tracking entry as a dump reports it: the original direction (the packet that
/// created the entry), plus what the kernel needs to delete exactly this entry.
struct ConntrackEntry {
    /// The layer-4 protocol of an entry.
    enum Transport: Hashable, Sendable {
        case tcp, udp, icmp, icmpv6, sctp, dccp, udplite, gre
        /// Any other protocol, by its IPPROTO number.
        case other(UInt8)

        /// The geo rule's transport for a scoped rule (TCP or UDP), or nil.
        var scopeTransport: TransportProtocol? {
            switch self {
            case .tcp: .tcp
            case .udp: .udp
            default: nil
            }
        }
    }

    /// The shim's copy of the entry (the tuple bytes a delete sends back unchanged).
    fileprivate let raw: CNetfilterShim_ct_entry

    fileprivate init(_ raw: CNetfilterShim_ct_entry) { self.raw = raw }

    var family: IPAddressFamily { raw.family == .ipv6 ? .ipv6 : .ipv4 }

    var transport: Transport {
        switch raw.protocol {
        case .tcp: .tcp
        case .udp: .udp
        case .icmp: .icmp
        case .icmpv6: .icmpv6
        case .sctp: .sctp
        case .dccp: .dccp
        case .udplite: .udplite
        case .gre: .gre
        case .other: .other(raw.protocol_number)
        }
    }

    /// The original source address (the peer that opened the flow, for inbound traffic).
    var source: IPAddress { Self.address(raw.source, family) }
    /// The original destination address.
    var destination: IPAddress { Self.address(raw.destination, family) }
    /// The reply direction's source address: who answers (the original destination, or the
    /// address destination NAT translated it to).
    var replySource: IPAddress? { raw.has_reply != 0 ? Self.address(raw.reply_source, family) : nil }
    /// The original source port (host order), for protocols with ports.
    var sourcePort: UInt16? { raw.has_ports != 0 ? raw.source_port : nil }
    /// The original destination port (host order), for protocols with ports.
    var destinationPort: UInt16? { raw.has_ports != 0 ? raw.destination_port : nil }
    /// The kernel's id of the entry, when the dump reported it.
    var id: UInt32? { raw.has_id != 0 ? raw.id : nil }

    fileprivate static func address(
        _ bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8),
        _ family: IPAddressFamily
    ) -> IPAddress {
        withUnsafeBytes(of: bytes) { buffer in address(UnsafeRawBufferPointer(buffer), family) }
    }

    /// The address in the first 4 (IPv4) or 16 bytes of `buffer`, in network byte order.
    fileprivate static func address(_ buffer: UnsafeRawBufferPointer, _ family: IPAddressFamily) -> IPAddress {
        switch family {
        case .ipv4: .v4(IPv4Address(buffer.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        case .ipv6: .v6(IPv6Address(buffer.prefix(16).reduce(UInt128(0)) { $0 << 8 | UInt128($1) }))
        }
    }
}

/// The thin Swift wrapper over the shim's ctnetlink socket: owns the C handle (closed when the
/// value goes), turns the shim's results into ``GeoFilterError``s, and keeps every pointer
/// inside this file. Use it through ``withSocket(in:_:)``.
struct ConntrackSocket: ~Copyable {
    private let handle: OpaquePointer

    private init(handle: OpaquePointer) { self.handle = handle }

    deinit { CNetfilterShim_ct_close(handle) }

    /// Opens a ctnetlink socket in `namespace`, runs `body` with it and closes it.
    static func withSocket<R>(
        in namespace: NetworkNamespace, _ body: (borrowing ConntrackSocket) throws(GeoFilterError) -> R
    ) throws(GeoFilterError) -> R {
        var result = CNetfilterShim_ct_result.ok
        var error: Int32 = 0
        guard let handle = CNetfilterShim_ct_open(namespace.path, &result, &error) else {
            throw Self.error(result, errno: error, "cannot open a conntrack (ctnetlink) socket", namespace: namespace)
        }
        let socket = ConntrackSocket(handle: handle)
        return try body(socket)
    }

    /// The namespace's interface addresses (and IPv4 broadcast addresses) when the socket was
    /// opened.
    func localAddresses() -> Set<IPAddress> {
        final class Collector { var addresses: Set<IPAddress> = [] }
        let collector = Collector()
        withExtendedLifetime(collector) {
            CNetfilterShim_ct_local_addresses(handle, { context, family, bytes in
                let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
                let buffer = UnsafeRawBufferPointer(start: bytes, count: 16)
                collector.addresses.insert(ConntrackEntry.address(buffer, family == .ipv6 ? .ipv6 : .ipv4))
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.addresses
    }

    /// Dumps the whole table (both families, every zone) in one pass, calling `body` per entry.
    ///
    /// - Returns: the number of entries the dump reported.
    /// - Complexity: O(n) in the table's size; one netlink dump.
    func forEachEntry(_ body: (ConntrackEntry) -> Void) throws(GeoFilterError) -> Int {
        final class Visitor {
            let body: (ConntrackEntry) -> Void
            init(_ body: @escaping (ConntrackEntry) -> Void) { self.body = body }
        }
        var count = 0
        let status = withoutActuallyEscaping(body) { body in
            let visitor = Visitor(body)
            return withExtendedLifetime(visitor) {
                CNetfilterShim_ct_dump(handle, { context, entry in
                    let visitor = Unmanaged<Visitor>.fromOpaque(context!).takeUnretainedValue()
                    visitor.body(ConntrackEntry(entry.pointee))
                }, Unmanaged.passUnretained(visitor).toOpaque(), &count)
            }
        }
        try check(status, "dumping the conntrack table")
        return count
    }

    /// Deletes exactly these entries (each by its original tuple, zone and id), many per
    /// netlink send.
    ///
    /// - Returns: how many the kernel deleted, and how many it no longer had (expired or deleted
    ///   by someone else since the dump).
    func delete(_ entries: [ConntrackEntry]) throws(GeoFilterError) -> (deleted: Int, missing: Int) {
        let raw = entries.map(\.raw)
        var deleted = 0
        var missing = 0
        let status = raw.withUnsafeBufferPointer { buffer in
            CNetfilterShim_ct_delete(handle, buffer.baseAddress, buffer.count, &deleted, &missing)
        }
        try check(status, "deleting conntrack entries (\(deleted) deleted before the failure)")
        return (deleted, missing)
    }

    private func check(_ result: CNetfilterShim_ct_result, _ what: String) throws(GeoFilterError) {
        guard result != .ok else { return }
        let detail = String(cString: CNetfilterShim_ct_error(handle))
        throw Self.error(result, errno: CNetfilterShim_ct_errno(handle), detail.isEmpty ? what : "\(what): \(detail)", namespace: nil)
    }

    private static func error(
        _ result: CNetfilterShim_ct_result, errno number: Int32, _ what: String, namespace: NetworkNamespace?
    ) -> GeoFilterError {
        let errno = number != 0 ? Errno(rawValue: number) : nil
        let text = errno.map { "\(what): \($0.description)" } ?? what
        switch result {
        case .ok:
            return GeoFilterError(.kernel, text, errno: errno)
        case .permission:
            return GeoFilterError(.permission, "\(text) (conntrack needs CAP_NET_ADMIN: run as root)", errno: errno)
        case .unsupported:
            return GeoFilterError(.unsupported, "\(text) (the kernel has no netfilter netlink or no nf_conntrack_netlink)", errno: errno)
        case .namespace:
            return GeoFilterError(
                .namespace, "\(text) (network namespace \(namespace?.path ?? "current") cannot be entered)", errno: errno)
        case .outOfMemory:
            return GeoFilterError(.outOfMemory, text, errno: errno)
        case .malformed, .invalidEntry, .systemError:
            return GeoFilterError(.kernel, text, errno: errno)
        }
    }
}
