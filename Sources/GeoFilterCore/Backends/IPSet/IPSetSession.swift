internal import CNetfilterShim
internal import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The thin Swift wrapper over the shim's libipset session: owns the C handle, serialises all
/// use of libipset in the process (its type list and set cache are unlocked globals), turns
/// failures into ``GeoFilterError``s, and keeps every pointer inside this file.
final class IPSetSession {
    private let handle: OpaquePointer

    /// libipset is not thread-safe: one session at a time in the whole process.
    private static let lock = Mutex<Void>(())

    private init(handle: OpaquePointer) { self.handle = handle }

    deinit { CNetfilterShim_ipset_close(handle) }

    /// Opens a session in `namespace` (handshake included) and runs `body` with it, holding
    /// the process-wide ipset lock throughout.
    static func with<Result: Sendable>(
        namespace: NetworkNamespace, _ body: (IPSetSession) throws(GeoFilterError) -> Result
    ) throws(GeoFilterError) -> Result {
        try lock.withLock { _ throws(GeoFilterError) -> Result in
            let session = try open(namespace)
            return try body(session)
        }
    }

    private static func open(_ namespace: NetworkNamespace) throws(GeoFilterError) -> IPSetSession {
        var error: Int32 = 0
        guard let handle = CNetfilterShim_ipset_open(namespace.path, &error) else {
            if let reason = libraryError { throw GeoFilterError(.unsupported, reason) }
            throw GeoFilterError(.kernel, "cannot start an ipset session: out of memory")
        }
        let session = IPSetSession(handle: handle)
        switch error {
        case 0:
            return session
        case EPROTO:
            throw handshakeError(session.lastError)
        case ENOENT:
            throw GeoFilterError(.namespace, "no such network namespace (\(namespace.path ?? "current")): \(String(cString: strerror(error)))")
        case EPERM, EACCES:
            throw GeoFilterError(
                .permission, "entering the network namespace needs CAP_SYS_ADMIN and CAP_NET_ADMIN (run as root): \(String(cString: strerror(error)))")
        default:
            throw GeoFilterError(.kernel, "cannot start an ipset session: \(String(cString: strerror(error)))")
        }
    }

    /// Why libipset cannot be loaded (it is opened on first use), or nil when it is loaded.
    static var libraryError: String? { CNetfilterShim_ipset_library_error().map { String(cString: $0) } }

    /// The "ipset unavailable" cases, told apart by libipset's text (it exposes no codes).
    private static func handshakeError(_ text: String) -> GeoFilterError {
        if text.contains("Operation not permitted") {
            return GeoFilterError(.permission, "ipset needs CAP_NET_ADMIN (run as root): \(text)")
        }
        if text.contains("Cannot open session") || text.contains("Invalid argument") || text.contains("not supported") {
            return GeoFilterError(.unsupported, "the kernel has no ipset (ip_set) support: \(text)")
        }
        return GeoFilterError(.kernel, "ipset is unavailable: \(text)")
    }

    private var lastError: String { String(cString: CNetfilterShim_ipset_error(handle)) }

    private func check(_ status: Int32, _ what: String) throws(GeoFilterError) {
        guard status < 0 else { return }
        let text = lastError
        if text.contains("Operation not permitted") {
            throw GeoFilterError(.permission, "ipset needs CAP_NET_ADMIN (run as root): \(what): \(text)")
        }
        throw GeoFilterError(.kernel, "\(what): \(text)")
    }

    // MARK: Commands

    /// Creates a `hash:net` set.
    func create(_ name: String, family: IPAddressFamily, hashSize: Int, maxElements: Int, comments: Bool = false) throws(GeoFilterError) {
        let status = CNetfilterShim_ipset_create(
            handle, name, family == .ipv6 ? 1 : 0, UInt32(clamping: hashSize), UInt32(clamping: maxElements), comments ? 1 : 0)
        try check(status, "creating set \(name)")
    }

    /// Adds the entries to a set, many per netlink message.
    func add(_ name: String, _ entries: HashNetEntries, comment: String? = nil) throws(GeoFilterError) {
        let status = entries.addresses.withUnsafeBufferPointer { addresses in
            entries.lengths.withUnsafeBufferPointer { lengths in
                CNetfilterShim_ipset_add(
                    handle, name, entries.family == .ipv6 ? 1 : 0, addresses.baseAddress, lengths.baseAddress, entries.count, comment)
            }
        }
        try check(status, "filling set \(name) (\(entries.count) entries)")
    }

    /// Swaps the contents of two sets, atomically.
    func swap(_ name: String, _ other: String) throws(GeoFilterError) {
        try check(CNetfilterShim_ipset_swap(handle, name, other), "swapping sets \(name) and \(other)")
    }

    /// Destroys a set. Returns false when it did not exist.
    @discardableResult
    func destroy(_ name: String) throws(GeoFilterError) -> Bool {
        let status = CNetfilterShim_ipset_destroy(handle, name)
        if status == CNetfilterShim_IPSET_NO_SUCH_SET { return false }
        try check(status, "destroying set \(name)")
        return true
    }

    /// The set in `ipset save` form (all sets when `name` is nil), or nil when it does not exist.
    func save(_ name: String?) throws(GeoFilterError) -> String? {
        try list(name, headersOnly: false)
    }

    /// The set's header as `ipset list -t` prints it, or nil when it does not exist.
    func header(_ name: String) throws(GeoFilterError) -> String? {
        try list(name, headersOnly: true)
    }

    private func list(_ name: String?, headersOnly: Bool) throws(GeoFilterError) -> String? {
        let status = CNetfilterShim_ipset_list(handle, name, headersOnly ? 1 : 0)
        if status == CNetfilterShim_IPSET_NO_SUCH_SET { return nil }
        try check(status, "listing \(name.map { "set \($0)" } ?? "sets")")
        var length = 0
        let text = CNetfilterShim_ipset_output(handle, &length)
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }
}
