internal import CNetfilterShim
internal import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The thin Swift wrapper over the shim's nf_tables handle: a netfilter netlink socket (or a
/// recorder) and the batch being built on it. It owns the C handle, turns negative errno
/// results into ``GeoFilterError``s, and keeps every pointer inside the wrapper (this file and
/// `Nftables/NftSocket+Batch.swift`).
///
/// The handle is `~Copyable`: exactly one owner closes it. Open one for a scope with
/// ``with(namespace:_:)`` (the socket is lent to the closure, so it cannot escape it) or
/// ``recording(_:)``.
///
/// This file holds what both backends use (a batch, commit, deleting a table of any family: the
/// iptables backend removes the `ip`/`ip6 filter` tables iptables-nft created); the nftables
/// backend's messages are in `Nftables/NftSocket+Batch.swift`.
struct NftSocket: ~Copyable {
    /// The shim handle; used only by this wrapper's files.
    let handle: OpaquePointer

    /// Opens a netfilter netlink socket, in `namespace` when given (see ``with(namespace:_:)``).
    private init(namespace: NetworkNamespace) throws(GeoFilterError) {
        var error: Int32 = 0
        guard let handle = CNetfilterShim_nft_open(namespace.path, &error) else {
            throw Self.openError(error, namespace: namespace)
        }
        self.handle = handle
    }

    private init(recorder handle: OpaquePointer) { self.handle = handle }

    deinit { CNetfilterShim_nft_close(handle) }

    /// Opens a socket in `namespace` for the duration of `body`, which borrows it.
    static func with<R>(
        namespace: NetworkNamespace, _ body: (borrowing NftSocket) throws(GeoFilterError) -> R
    ) throws(GeoFilterError) -> R {
        let socket = try NftSocket(namespace: namespace)
        return try body(socket)
    }

    /// Deletes an `ip` or `ip6` table (not an `inet` one) in one transaction: the shared
    /// primitive with which the ipset backend removes the `filter` tables iptables-nft created.
    static func deleteTable(_ table: String, family: IPAddressFamily, namespace: NetworkNamespace) throws(GeoFilterError) {
        try with(namespace: namespace) { socket throws(GeoFilterError) in
            try socket.begin()
            try socket.deleteFamilyTable(table, family: family)
            try socket.commit()
        }
    }

    /// Runs `body` with a recorder instead of a socket: its commits keep the batch bytes
    /// instead of sending them (no privilege needed). Returns `body`'s result and every
    /// committed batch, back to back.
    static func recording<R>(
        _ body: (borrowing NftSocket) throws(GeoFilterError) -> R
    ) throws(GeoFilterError) -> (result: R, bytes: [UInt8]) {
        guard let handle = CNetfilterShim_nft_open_recorder() else {
            throw GeoFilterError.system(.outOfMemory, "cannot allocate an nf_tables batch recorder", errno: ENOMEM)
        }
        let recorder = NftSocket(recorder: handle)
        let result = try body(recorder)
        var length = 0
        guard let bytes = CNetfilterShim_nft_recorded(handle, &length), length > 0 else { return (result, []) }
        return (result, Array(UnsafeBufferPointer(start: bytes, count: length)))
    }

    /// Recorded batch bytes parsed back and printed by libnftnl's own printers, message by
    /// message (a deterministic text for golden tests).
    static func printBatch(_ bytes: [UInt8]) throws(GeoFilterError) -> String {
        final class Lines { var text = "" }
        let lines = Lines()
        let status = withExtendedLifetime(lines) {
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return Int32(0) }
                return CNetfilterShim_nft_print_batch(base, buffer.count, { context, text in
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
        let place = namespace.path.map { "in the network namespace \($0)" } ?? "in the current network namespace"
        switch code {
        case EPROTONOSUPPORT, EAFNOSUPPORT:
            return GeoFilterError.system(.unsupported, "the kernel has no nfnetlink (netfilter netlink) support", errno: code)
        case ENOENT where namespace.path != nil, EINVAL where namespace.path != nil:
            return GeoFilterError.system(.namespace, "no such network namespace (\(namespace.path ?? ""))", errno: code)
        case EPERM, EACCES:
            return GeoFilterError.system(
                .permission, "opening a netfilter netlink socket \(place) needs CAP_SYS_ADMIN and CAP_NET_ADMIN (run as root)",
                errno: code)
        case ENOMEM, ENOBUFS:
            return GeoFilterError.system(.outOfMemory, "cannot open a netfilter netlink socket \(place)", errno: code)
        default:
            return GeoFilterError.system(.kernel, "cannot open a netfilter netlink socket \(place)", errno: code)
        }
    }

    /// Throws for a negative shim result: the shim's text (or `what`) and the errno, with a code
    /// chosen from the errno.
    func check(_ status: Int32, _ what: @autoclosure () -> String) throws(GeoFilterError) {
        guard status < 0 else { return }
        let code = -status
        let text = String(cString: CNetfilterShim_nft_error(handle))
        let detail = text.isEmpty ? what() : text
        switch code {
        case EPERM, EACCES:
            throw GeoFilterError.system(.permission, "nf_tables needs CAP_NET_ADMIN (run as root): \(detail)", errno: code)
        case EOPNOTSUPP, EAFNOSUPPORT, EPROTONOSUPPORT:
            throw GeoFilterError.system(.unsupported, "the kernel has no nf_tables support: \(detail)", errno: code)
        case ENOTCONN:
            throw GeoFilterError.system(.unsupported, detail, errno: code)
        case ENOMEM:
            throw GeoFilterError.system(.outOfMemory, detail, errno: code)
        case ENAMETOOLONG:
            throw GeoFilterError.system(.invalidInput, detail, errno: code)
        default:
            throw GeoFilterError.system(.kernel, detail, errno: code)
        }
    }

    // MARK: Batch

    /// Starts a new batch (one transaction), discarding any unsent one.
    func begin() throws(GeoFilterError) { try check(CNetfilterShim_nft_begin(handle), "starting a batch") }

    /// Deletes an `ip` or `ip6` table (not our inet one): the filter table iptables-nft made.
    func deleteFamilyTable(_ table: String, family: IPAddressFamily) throws(GeoFilterError) {
        let status = CNetfilterShim_nft_delete_table(handle, family == .ipv6 ? .ipv6 : .ipv4, table)
        try check(status, "delete table \(family == .ipv6 ? "ip6" : "ip") \(table)")
    }

    /// For tests: caps the socket buffers later commits size (0: no cap).
    func capBuffers(send: Int32, receive: Int32) { CNetfilterShim_nft_cap_buffers(handle, send, receive) }

    /// Sends the batch as one transaction (a recorder keeps it).
    func commit() throws(GeoFilterError) {
        try check(CNetfilterShim_nft_commit(handle), "commit")
    }
}
