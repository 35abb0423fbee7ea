internal import CNetfilterShim
#if canImport(Glibc)
import Glibc
#endif

/// The nftables backend's messages on an ``NftSocket``: our inet table, its interval sets and
/// verdict maps, their elements, chains, and rules built expression by expression. Part of the
/// socket's thin wrapper: the pointers stay here and in `NftSocket.swift`.
extension NftSocket {
    private static func key(_ family: IPAddressFamily) -> CNetfilterShim_nft_family { family == .ipv4 ? .ipv4 : .ipv6 }

    /// NEWTABLE for an inet table (created if absent), with an optional comment.
    func addTable(_ table: String, comment: String?) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_add_table(handle, table, comment), "add table \(table)")
    }

    /// DELTABLE for an inet table.
    func deleteTable(_ table: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_delete_table(handle, .inet, table), "delete table \(table)")
    }

    /// NEWSET: an interval set of `family` addresses; `id` lets rules of the batch name it.
    func addSet(table: String, set: String, family: IPAddressFamily, id: UInt32, comment: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_add_set(handle, table, set, Self.key(family), id, comment), "add set \(set)")
    }

    /// NEWSET: an interval verdict map from `family` addresses.
    func addVerdictMap(table: String, map: String, family: IPAddressFamily, id: UInt32, comment: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_add_verdict_map(handle, table, map, Self.key(family), id, comment), "add map \(map)")
    }

    /// Adds `bounds` (pairs of big-endian first and last addresses) as interval elements.
    func addElements(table: String, set: String, family: IPAddressFamily, bounds: [UInt8]) throws(GeoFilterError) {
        let count = bounds.count / (family == .ipv4 ? 8 : 32)
        let status = bounds.withUnsafeBufferPointer { buffer in
            CNetfilterShim_nft_add_elements(handle, table, set, Self.key(family), buffer.baseAddress, count)
        }
        try check(status, "add elements to \(set)")
    }

    /// Deletes the interval elements `bounds` (as ``addElements(table:set:family:bounds:)``).
    func deleteElements(table: String, set: String, family: IPAddressFamily, bounds: [UInt8]) throws(GeoFilterError) {
        let count = bounds.count / (family == .ipv4 ? 8 : 32)
        let status = bounds.withUnsafeBufferPointer { buffer in
            CNetfilterShim_nft_delete_elements(handle, table, set, Self.key(family), buffer.baseAddress, count)
        }
        try check(status, "delete elements of \(set)")
    }

    /// Adds map elements: each range of `bounds` jumps to the chain of the same index.
    func addMapElements(table: String, map: String, family: IPAddressFamily, bounds: [UInt8], chains: [String]) throws(GeoFilterError) {
        var names: [UInt8] = []
        for chain in chains { names += Array(chain.utf8) + [0] }
        let status = bounds.withUnsafeBufferPointer { buffer in
            names.withUnsafeBufferPointer { chainBytes in
                chainBytes.withMemoryRebound(to: CChar.self) { chainNames in
                    CNetfilterShim_nft_add_map_elements(
                        handle, table, map, Self.key(family), buffer.baseAddress, chainNames.baseAddress, chains.count)
                }
            }
        }
        try check(status, "add elements to \(map)")
    }

    /// NEWCHAIN: a filter base chain on the direction's hook, policy accept.
    func addBaseChain(table: String, chain: String, hook: GeoPolicy.Direction, priority: Int32) throws(GeoFilterError) {
        let status = CNetfilterShim_nft_add_base_chain(handle, table, chain, hook == .input ? .input : .forward, priority)
        try check(status, "add chain \(chain)")
    }

    /// NEWCHAIN: a regular chain (jumped to, never hooked).
    func addRegularChain(table: String, chain: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_add_regular_chain(handle, table, chain), "add chain \(chain)")
    }

    /// DELRULE without a handle: every rule of the chain.
    func flushChain(table: String, chain: String) throws(GeoFilterError) {
        try check(CNetfilterShim_nft_flush_chain(handle, table, chain), "flush chain \(chain)")
    }

    /// NEWRULE (appended): the rule's expressions, in order.
    func addRule(_ rule: NftRule) throws(GeoFilterError) {
        let handle = self.handle
        try check(CNetfilterShim_nft_rule_begin(handle, rule.table, rule.chain, rule.comment), "add rule to \(rule.chain)")
        for expression in rule.expressions {
            let status: Int32
            switch expression {
            case .payload(let base, let offset, let length, let register):
                status = CNetfilterShim_nft_expr_payload(handle, base.shimValue, offset, length, register.shimValue)
            case .meta(let key, let register):
                status = CNetfilterShim_nft_expr_meta(handle, key.shimValue, register.shimValue)
            case .conntrack(let key, let register):
                status = CNetfilterShim_nft_expr_ct(handle, key.shimValue, register.shimValue)
            case .cmp(let register, let op, let data):
                status = data.withUnsafeBufferPointer { bytes in
                    guard let base = bytes.baseAddress else { return -EINVAL }
                    return CNetfilterShim_nft_expr_cmp(handle, register.shimValue, op.shimValue, base, UInt32(bytes.count))
                }
            case .bitwise(let source, let destination, let mask, let xor):
                guard mask.count == xor.count else {
                    throw GeoFilterError(.invalidInput, "a bitwise expression's mask and xor differ in length")
                }
                status = mask.withUnsafeBufferPointer { maskBytes in
                    xor.withUnsafeBufferPointer { xorBytes in
                        guard let maskBase = maskBytes.baseAddress, let xorBase = xorBytes.baseAddress else { return -EINVAL }
                        return CNetfilterShim_nft_expr_bitwise(
                            handle, source.shimValue, destination.shimValue, maskBase, xorBase, UInt32(maskBytes.count))
                    }
                }
            case .lookup(let register, let set, let id, let inverted):
                status = CNetfilterShim_nft_expr_lookup(handle, register.shimValue, set, id, inverted)
            case .verdictMap(let register, let map, let id):
                status = CNetfilterShim_nft_expr_verdict_map(handle, register.shimValue, NftRegister.verdict.shimValue, map, id)
            case .counter:
                status = CNetfilterShim_nft_expr_counter(handle)
            case .verdict(let verdict):
                switch verdict {
                case .accept: status = CNetfilterShim_nft_expr_verdict(handle, .accept, nil)
                case .drop: status = CNetfilterShim_nft_expr_verdict(handle, .drop, nil)
                case .jump(let chain): status = CNetfilterShim_nft_expr_verdict(handle, .jump, chain)
                }
            }
            try check(status, "add rule to \(rule.chain): \(expression)")
        }
        try check(CNetfilterShim_nft_rule_end(handle), "add rule to \(rule.chain)")
    }

    // MARK: Reading back

    /// The table's comment, or nil when the table does not exist.
    func tableComment(_ table: String) throws(GeoFilterError) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = CNetfilterShim_nft_table_comment(handle, table, &buffer, buffer.count)
        if status == -ENOENT { return nil }
        try check(status, "reading the table \(table)")
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The counters of a table's rules: (chain, rule comment, packets, bytes).
    func ruleCounters(table: String) throws(GeoFilterError) -> [(chain: String, comment: String, packets: UInt64, bytes: UInt64)] {
        final class Collector {
            var rows: [(chain: String, comment: String, packets: UInt64, bytes: UInt64)] = []
        }
        let collector = Collector()
        let handle = self.handle
        let status = withExtendedLifetime(collector) {
            CNetfilterShim_nft_rule_counters(handle, table, { context, chain, comment, packets, bytes in
                let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
                collector.rows.append((String(cString: chain), String(cString: comment), packets, bytes))
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        if status == -ENOENT { return [] }
        try check(status, "reading the rules of \(table)")
        return collector.rows
    }
}
