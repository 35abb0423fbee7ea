internal import CNetfilterShim
internal import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The thin Swift wrapper over the shim's nf_tables socket and batch: owns the C handle, turns
/// negative errno results into ``GeoFilterError``s, and keeps every pointer inside this file.
final class NftSocket {
    private let handle: OpaquePointer

    /// Opens a netfilter netlink socket, in `namespace` when given.
    init(namespace: NetworkNamespace) throws(GeoFilterError) {
        var error: Int32 = 0
        guard let handle = CNetfilterShim_nft_open(namespace.path, &error) else {
            throw Self.openError(error, namespace: namespace)
        }
        self.handle = handle
    }

    /// Opens a recorder: its commits keep the batch bytes instead of sending them.
    init(recording: Void) throws(GeoFilterError) {
        guard let handle = CNetfilterShim_nft_open_recorder() else {
            throw GeoFilterError(.outOfMemory, "cannot allocate an nf_tables batch recorder")
        }
        self.handle = handle
    }

    deinit { CNetfilterShim_nft_close(handle) }

    /// A recorder's committed batches, back to back.
    var recordedBytes: [UInt8] {
        var length = 0
        guard let bytes = CNetfilterShim_nft_recorded(handle, &length), length > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    /// Recorded batch bytes parsed back and printed by libnftnl, message by message.
    static func printBatch(_ bytes: [UInt8]) throws(GeoFilterError) -> String {
        final class Lines { var text = "" }
        let lines = Lines()
        let status = withExtendedLifetime(lines) {
            bytes.withUnsafeBufferPointer { buffer in
                CNetfilterShim_nft_print_batch(buffer.baseAddress!, buffer.count, { context, text in
                    let lines = Unmanaged<Lines>.fromOpaque(context!).takeUnretainedValue()
                    lines.text += String(cString: text)
                    if !lines.text.hasSuffix("\n") { lines.text += "\n" }
                }, Unmanaged.passUnretained(lines).toOpaque())
            }
        }
        guard status == 0 else { throw GeoFilterError.system(.invalidInput, "cannot print the recorded batch", errno: -status) }
        return lines.text
    }

    private static func openError(_ code: Int32, namespace: NetworkNamespace) -> GeoFilterError {
        let text = String(cString: strerror(code))
        switch code {
        case EPROTONOSUPPORT:
            return GeoFilterError(.unsupported, "the kernel has no nfnetlink (netfilter netlink) support: \(text)")
        case ENOENT:
            return GeoFilterError(.namespace, "no such network namespace (\(namespace.path ?? "current")): \(text)", errno: Errno(rawValue: code))
        case EPERM, EACCES:
            return GeoFilterError(.permission, "entering the network namespace needs CAP_SYS_ADMIN and CAP_NET_ADMIN (run as root): \(text)")
        default:
            return GeoFilterError(.kernel, "cannot open a netfilter netlink socket: \(text)")
        }
    }

    /// The last error text of the shim.
    private var lastError: String { String(cString: CNetfilterShim_nft_error(handle)) }

    private func check(_ status: Int32, _ what: String) throws(GeoFilterError) {
        guard status < 0 else { return }
        throw kernelError(-status, what)
    }

    private func kernelError(_ code: Int32, _ what: String) -> GeoFilterError {
        let detail = lastError.isEmpty ? "\(what): \(String(cString: strerror(code)))" : lastError
        if code == EPERM || code == EACCES {
            return GeoFilterError(.permission, "nf_tables needs CAP_NET_ADMIN (run as root): \(detail)")
        }
        if code == EOPNOTSUPP || code == EAFNOSUPPORT {
            return GeoFilterError(.unsupported, "the kernel has no nf_tables support: \(detail)")
        }
        return GeoFilterError(.kernel, detail)
    }

    // MARK: Batch

    func begin() throws(GeoFilterError) { try check(CNetfilterShim_nft_begin(handle), "starting a batch") }

    func addTable(_ table: String, comment: String?) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_table(handle, 0, table, comment), "add table")
    }

    func deleteTable(_ table: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_table(handle, 1, table, nil), "delete table")
    }

    /// Deletes an `ip` or `ip6` table (not our inet one): the filter table iptables-nft made.
    func deleteFamilyTable(_ table: String, family: IPAddressFamily) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_delete_family_table(handle, family == .ipv6 ? 1 : 0, table), "delete table")
    }

    func addSet(table: String, set: String, family: IPAddressFamily, id: UInt32, comment: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_set(handle, table, set, family == .ipv6 ? 1 : 0, id, comment), "add set")
    }

    /// Adds (or deletes) `bounds`: pairs of big-endian first and last addresses.
    func elements(table: String, set: String, family: IPAddressFamily, bounds: [UInt8], remove: Bool = false) throws(GeoFilterError) {
        let width = family == .ipv4 ? 8 : 32
        let status = bounds.withUnsafeBufferPointer { buffer in
            CNetfilterShim_nft_elements(
                handle, table, set, family == .ipv6 ? 1 : 0, buffer.baseAddress, bounds.count / width, remove ? 1 : 0)
        }
        try check(status, "add elements")
    }

    func addVerdictMap(table: String, map: String, family: IPAddressFamily, id: UInt32, comment: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_verdict_map(handle, table, map, family == .ipv6 ? 1 : 0, id, comment), "add map")
    }

    /// Adds map elements: each range of `bounds` jumps to the chain of the same index.
    func mapElements(table: String, map: String, family: IPAddressFamily, bounds: [UInt8], chains: [String]) throws(GeoFilterError) {
        var names: [UInt8] = []
        for chain in chains { names += Array(chain.utf8) + [0] }
        let status = bounds.withUnsafeBufferPointer { buffer in
            names.withUnsafeBufferPointer { chainBytes in
                chainBytes.withMemoryRebound(to: CChar.self) { chainNames in
                    CNetfilterShim_nft_map_elements(
                        handle, table, map, family == .ipv6 ? 1 : 0, buffer.baseAddress, chainNames.baseAddress, chains.count)
                }
            }
        }
        try check(status, "add map elements")
    }

    func addRegularChain(table: String, chain: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_regular_chain(handle, table, chain), "add chain")
    }

    func flushChain(table: String, chain: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_flush_chain(handle, table, chain), "flush chain")
    }

    func addChain(table: String, chain: String, hook: GeoPolicy.Direction, priority: Int32) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_chain(handle, table, chain, hook == .input ? 0 : 1, priority), "add chain")
    }

    /// What a rule matches and does.
    enum RuleMatch {
        /// Matches nothing: a record (a counter and the comment) in a chain never jumped to.
        case record
        /// Every packet (the rule of a country's counter chain).
        case everything
        case established
        case loopbackInterface
        case source(family: IPAddressFamily, set: String, setID: UInt32, negate: Bool, ports: (TransportProtocol, ClosedRange<UInt16>)?)
        /// Looks the source up in a verdict map (which jumps or continues).
        case sourceMap(family: IPAddressFamily, map: String, setID: UInt32, ports: (TransportProtocol, ClosedRange<UInt16>)?)
        /// A source [not] in a set, then looked up in a verdict map.
        case sourceSetThenMap(
            family: IPAddressFamily, set: String, setID: UInt32, negate: Bool, map: String, mapID: UInt32,
            ports: (TransportProtocol, ClosedRange<UInt16>)?)
    }

    func addRule(table: String, chain: String, match: RuleMatch, accept: Bool, counter: Bool, comment: String?) throws(GeoFilterError) {
        var spec = CNetfilterShim_nft_rule_spec()
        spec.counter = counter ? 1 : 0
        spec.accept = accept ? 1 : 0
        var setName: String?
        var mapName: String?
        func source(_ family: IPAddressFamily, _ setID: UInt32, _ ports: (TransportProtocol, ClosedRange<UInt16>)?) {
            spec.ipv6 = family == .ipv6 ? 1 : 0
            spec.set_id = setID
            if let (transport, range) = ports {
                spec.l4proto = transport == .tcp ? Int32(IPPROTO_TCP) : Int32(IPPROTO_UDP)
                spec.port_low = range.lowerBound
                spec.port_high = range.upperBound
            }
        }
        switch match {
        case .established: spec.kind = 0
        case .loopbackInterface: spec.kind = 1
        case .record: spec.kind = 3
        case .everything: spec.kind = 5
        case .source(let family, let set, let setID, let negate, let ports):
            spec.kind = 2
            spec.negate = negate ? 1 : 0
            source(family, setID, ports)
            setName = set
        case .sourceMap(let family, let map, let setID, let ports):
            spec.kind = 4
            source(family, setID, ports)
            setName = map
        case .sourceSetThenMap(let family, let set, let setID, let negate, let map, let mapID, let ports):
            spec.kind = 6
            spec.negate = negate ? 1 : 0
            spec.map_id = mapID
            source(family, setID, ports)
            setName = set
            mapName = map
        }
        let status = withOptionalCString(setName) { set in
            withOptionalCString(mapName) { map in
                withOptionalCString(comment) { text in
                    spec.set = set
                    spec.map = map
                    spec.comment = text
                    return CNetfilterShim_nft_rule(handle, table, chain, &spec)
                }
            }
        }
        try check(status, "add rule")
    }

    private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }

    /// The number of messages in the batch so far.
    var messageCount: Int { Int(CNetfilterShim_nft_message_count(handle)) }

    /// Sends the batch as one transaction.
    func commit() throws(GeoFilterError) {
        try check(CNetfilterShim_nft_commit(handle), "commit")
    }

    // MARK: Reading back

    /// The table's comment, or nil when the table does not exist.
    func tableComment(_ table: String) throws(GeoFilterError) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = CNetfilterShim_nft_table_comment(handle, table, &buffer, buffer.count)
        if status == -ENOENT { return nil }
        try check(status, "reading the table")
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A set's comment.
    func setComment(table: String, set: String) throws(GeoFilterError) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = CNetfilterShim_nft_set_comment(handle, table, set, &buffer, buffer.count)
        if status == -ENOENT { return nil }
        try check(status, "reading the set \(set)")
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The counters of a table's rules: (chain, rule comment, packets, bytes).
    func ruleCounters(table: String) throws(GeoFilterError) -> [(chain: String, comment: String, packets: UInt64, bytes: UInt64)] {
        final class Collector {
            var rows: [(chain: String, comment: String, packets: UInt64, bytes: UInt64)] = []
        }
        let collector = Collector()
        let status = withExtendedLifetime(collector) {
            CNetfilterShim_nft_rule_counters(handle, table, { context, chain, comment, packets, bytes in
                let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
                collector.rows.append((String(cString: chain), String(cString: comment), packets, bytes))
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        if status == -ENOENT { return [] }
        try check(status, "reading the rules")
        return collector.rows
    }
}
